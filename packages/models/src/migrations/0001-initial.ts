import { type Migration } from './types';

/**
 * The whole Debusine-derived schema (see docs/domain.md). Names follow the database's
 * snake_case; `models/*.ts` map them to TypeScript.
 */
export const initial: Migration = {
  name: '0001-initial',
  up: `
create table scopes (
  id bigserial primary key,
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
  label text not null default '',
  created_at timestamptz not null default now()
);

create table tokens (
  id bigserial primary key,
  hash text not null unique check (hash ~ '^[0-9a-f]{64}$'),
  user_name text,
  comment text not null default '' check (length(comment) <= 100),
  created_at timestamptz not null default now(),
  expire_at timestamptz,
  enabled boolean not null default false,
  last_seen_at timestamptz
);

create table provider_accounts (
  id bigserial primary key,
  name text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
  provider_type text not null check (provider_type in ('aws', 'hetzner', 'dummy')),
  configuration jsonb not null default '{}',
  credentials jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, provider_type)
);

create table worker_pools (
  id bigserial primary key,
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,59}$'),
  provider_account_id bigint not null,
  provider_type text not null,
  enabled boolean not null default true,
  architectures text[] not null default '{}',
  tags text[] not null default '{}',
  specifications jsonb not null default '{}',
  instance_wide boolean not null default true,
  ephemeral boolean not null default false,
  limits jsonb not null default '{}',
  registered_at timestamptz not null default now(),
  unique (id, instance_wide),
  -- A pool's specification is for its account's provider: the pair must match.
  foreign key (provider_account_id, provider_type)
    references provider_accounts (id, provider_type) on delete restrict on update cascade
);

create table scope_worker_pools (
  id bigserial primary key,
  scope_id bigint not null references scopes on delete cascade,
  worker_pool_id bigint not null,
  pool_instance_wide boolean not null,
  priority integer not null default 0,
  limits jsonb not null default '{}',
  unique (scope_id, worker_pool_id),
  foreign key (worker_pool_id, pool_instance_wide)
    references worker_pools (id, instance_wide) on delete cascade on update cascade
);

-- A pool that is not instance-wide belongs to exactly one scope: at most one link here,
-- and at least one checked at commit by the trigger below.
create unique index scope_worker_pools_scoped_pool_once
  on scope_worker_pools (worker_pool_id) where not pool_instance_wide;

create function check_scoped_pool_has_one_scope() returns trigger language plpgsql as $$
declare
  pool_id bigint;
  pool_name text;
begin
  if tg_table_name = 'worker_pools' then
    pool_id := new.id;
  elsif tg_op = 'DELETE' then
    pool_id := old.worker_pool_id;
  else
    pool_id := new.worker_pool_id;
  end if;
  select name into pool_name from worker_pools
   where id = pool_id and not instance_wide
     and (select count(*) from scope_worker_pools where worker_pool_id = pool_id) <> 1;
  if found then
    raise exception 'worker pool "%" is not instance-wide, so it must be linked to exactly one scope', pool_name
      using errcode = '23514', constraint = 'scoped_pool_has_one_scope';
  end if;
  return null;
end
$$;

create constraint trigger scoped_pool_has_one_scope
  after insert or update of instance_wide on worker_pools
  deferrable initially deferred
  for each row execute function check_scoped_pool_has_one_scope();

create constraint trigger scoped_pool_link_has_one_scope
  after insert or update or delete on scope_worker_pools
  deferrable initially deferred
  for each row execute function check_scoped_pool_has_one_scope();

create table workers (
  id bigserial primary key,
  name text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$'),
  worker_type text not null default 'external' check (worker_type in ('external', 'celery', 'signing')),
  registered_at timestamptz not null default now(),
  connected_at timestamptz,
  instance_created_at timestamptz,
  token_id bigint unique references tokens on delete restrict,
  activation_token_id bigint unique references tokens on delete set null,
  static_metadata jsonb not null default '{}',
  dynamic_metadata jsonb not null default '{}',
  dynamic_metadata_updated_at timestamptz,
  concurrency integer not null default 1 check (concurrency > 0),
  worker_pool_id bigint references worker_pools on delete restrict,
  worker_pool_data jsonb,
  admin_tags text[] not null default '{}',
  tags text[] not null default '{}',
  numeric_tags jsonb not null default '{}',
  check (worker_type = 'celery' or token_id is not null or activation_token_id is not null),
  check (worker_pool_id is not null or instance_created_at is null)
);
create index workers_worker_pool_id on workers (worker_pool_id);
create index workers_connected on workers (connected_at) where connected_at is not null;

create table work_requests (
  id bigserial primary key,
  scope_id bigint not null references scopes on delete cascade,
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'aborted', 'blocked')),
  result text not null default '' check (result in ('', 'success', 'failure', 'error', 'skipped')),
  task_type text not null default 'Worker'
    check (task_type in ('Worker', 'Server', 'Internal', 'Workflow', 'Signing', 'Wait')),
  task_name text not null check (task_name ~ '^[a-z0-9_-]{1,100}$'),
  task_data jsonb not null default '{}',
  priority_base integer not null default 0,
  priority_adjustment integer not null default 0,
  worker_id bigint references workers on delete set null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz,
  output_data jsonb not null default '{}',
  retry_count integer not null default 0 check (retry_count >= 0),
  supersedes_id bigint references work_requests on delete set null,
  check (status <> 'running' or (worker_id is not null and started_at is not null)),
  check ((status in ('completed', 'aborted')) = (completed_at is not null))
);
create index work_requests_pending_by_priority
  on work_requests ((priority_base + priority_adjustment) desc, created_at) where status = 'pending';
create index work_requests_active_by_worker
  on work_requests (worker_id) where status in ('pending', 'running');
create index work_requests_scope_id on work_requests (scope_id);

create table worker_pool_statistics (
  id bigserial primary key,
  worker_pool_id bigint not null references worker_pools on delete cascade,
  worker_id bigint references workers on delete set null,
  timestamp timestamptz not null default now(),
  runtime integer not null check (runtime >= 0)
);
create index worker_pool_statistics_timestamp on worker_pool_statistics (timestamp);

create table worker_pool_task_execution_statistics (
  id bigserial primary key,
  worker_pool_id bigint not null references worker_pools on delete cascade,
  worker_id bigint references workers on delete set null,
  scope_id bigint not null references scopes on delete cascade,
  timestamp timestamptz not null default now(),
  runtime integer not null check (runtime >= 0)
);
create index worker_pool_task_execution_statistics_timestamp on worker_pool_task_execution_statistics (timestamp);
`,
  down: `
drop table worker_pool_task_execution_statistics;
drop table worker_pool_statistics;
drop table work_requests;
drop table workers;
drop table scope_worker_pools;
drop function check_scoped_pool_has_one_scope cascade;
drop table worker_pools;
drop table provider_accounts;
drop table tokens;
drop table scopes;
`,
};
