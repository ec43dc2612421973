import { type Migration } from './types';

/**
 * Day-two operations: a request is retried at most once (one successor per request, which
 * also finds `superseded_by` by index); user tokens may be admin tokens (priority adjustments,
 * worker metadata on the status UI); and the key that signs status UI session cookies, shared by
 * every replica and created by the first server that needs it.
 */
export const dayTwoOperations: Migration = {
  name: '0006-day-two-operations',
  up: `
create unique index work_requests_superseded_once on work_requests (supersedes_id) where supersedes_id is not null;
alter table tokens add column admin boolean not null default false;
alter table installation_settings add column session_signing_key text check (length(session_signing_key) >= 32);
`,
  down: `
alter table installation_settings drop column session_signing_key;
alter table tokens drop column admin;
drop index work_requests_superseded_once;
`,
};
