import { type Migration } from './types';

/**
 * What the provisioner keeps: its decisions with their reasons, each pool's launch health and
 * backoff (error kinds and provider messages, never secrets), and the installation id that
 * labels every instance this deployment owns. Plus the indexes its reads and the status UI need.
 */
export const provisioning: Migration = {
  name: '0004-provisioning',
  up: `
create table provisioning_decisions (
  id bigserial primary key,
  tick_id uuid not null,
  decided_at timestamptz not null default now(),
  kind text not null check (kind in ('launch', 'terminate', 'hold', 'error', 'reconcile')),
  reason text not null check (reason ~ '^[A-Z][A-Za-z]{1,63}$'),
  -- Names, not keys: a decision outlives the pool, scope or worker it was about.
  pool text,
  scope text,
  requirement_set text,
  count integer not null default 0 check (count >= 0),
  worker text,
  message text not null check (length(message) <= 2000)
);
create index provisioning_decisions_decided_at on provisioning_decisions (decided_at desc);
create index provisioning_decisions_pool on provisioning_decisions (pool, decided_at desc);

create table worker_pool_health (
  worker_pool_id bigint primary key references worker_pools on delete cascade,
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  backoff_until timestamptz,
  last_error_kind text,
  last_error_message text check (length(last_error_message) <= 2000),
  last_error_at timestamptz,
  last_success_at timestamptz
);

create table installation_settings (
  singleton boolean primary key default true check (singleton),
  installation_id text not null check (installation_id ~ '^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$'),
  created_at timestamptz not null default now()
);
insert into installation_settings (installation_id)
values ('buildfleet-' || substr(md5(random()::text || clock_timestamp()::text), 1, 12));

create index work_requests_worker_created on work_requests (worker_id, created_at desc);
create index work_requests_completed_by_requirement_set
  on work_requests (requirement_set_id, completed_at desc) where status = 'completed';
`,
  down: `
drop index work_requests_completed_by_requirement_set;
drop index work_requests_worker_created;
drop table installation_settings;
drop table worker_pool_health;
drop table provisioning_decisions;
`,
};
