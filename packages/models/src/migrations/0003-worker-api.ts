import { type Migration } from './types';

/**
 * What the worker API stores besides Debusine's core tables: the artifacts a debusine-worker
 * uploads for a work request (its debug logs), with their files' bytes kept in the database.
 */
export const workerApi: Migration = {
  name: '0003-worker-api',
  up: `
create table artifacts (
  id bigserial primary key,
  work_request_id bigint not null references work_requests on delete cascade,
  workspace text not null,
  category text not null check (length(category) between 1 and 255),
  data jsonb not null default '{}',
  created_at timestamptz not null default now(),
  expire_at timestamptz
);
create index artifacts_work_request_id on artifacts (work_request_id);

create table artifact_files (
  artifact_id bigint not null references artifacts on delete cascade,
  path text not null check (length(path) between 1 and 4096),
  size bigint not null check (size >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea not null default '',
  complete boolean not null default false,
  primary key (artifact_id, path),
  check (length(content) <= size),
  check (not complete or length(content) = size)
);
`,
  down: `
drop table artifact_files;
drop table artifacts;
`,
};
