import { type Migration } from './types';

/**
 * Tag-based scheduling: distinct requirement sets shared by work requests, and what a pool
 * advertises (capability tags and numeric sizes) so the same SQL matches workers and pools.
 */
export const scheduling: Migration = {
  name: '0002-scheduling',
  up: `
create table requirement_sets (
  id bigserial primary key,
  key text not null unique,
  tags text[] not null default '{}',
  minimums jsonb not null default '{}'
);

alter table work_requests
  add column requirement_set_id bigint references requirement_sets on delete restrict;
create index work_requests_pending_by_requirement_set
  on work_requests (requirement_set_id) where status = 'pending' and worker_id is null;

alter table worker_pools
  add column worker_tags text[] not null default '{}',
  add column capability_tags text[] not null default '{}',
  add column numeric_tags jsonb not null default '{}';
`,
  down: `
alter table worker_pools drop column worker_tags, drop column capability_tags, drop column numeric_tags;
drop index work_requests_pending_by_requirement_set;
alter table work_requests drop column requirement_set_id;
drop table requirement_sets;
`,
};
