import { type Migration } from './types';

/**
 * Several `serve` processes share one database, and any of them may die. A worker is connected
 * while some process holds an unexpired lease on one of its WebSocket sessions
 * (`worker_sessions`, renewed on a heartbeat by the holding process), so a dead process's
 * sessions lapse on their own and no process ever resets another's. `worker_connections` is
 * the one reading of it: when a worker connected (its earliest live session) or since when it
 * has been gone (the end of its last lease). It replaces the `workers.connected_at` flag.
 *
 * `dummy_instances` is the dummy provider's pretend cloud, shared by every process.
 */
export const workerSessions: Migration = {
  name: '0007-worker-sessions',
  up: `
create table worker_sessions (
  id bigserial primary key,
  worker_id bigint not null references workers on delete cascade,
  -- The serving process's id, random per start: only that process renews or releases the lease.
  process_id uuid not null,
  connected_at timestamptz not null default now(),
  expires_at timestamptz not null,
  check (expires_at >= connected_at)
);
create index worker_sessions_worker on worker_sessions (worker_id, expires_at);
create index worker_sessions_process on worker_sessions (process_id, expires_at);

create view worker_connections as
  select worker_id,
         min(connected_at) filter (where expires_at > now()) as connected_since,
         case when bool_or(expires_at > now()) then null else max(expires_at) end as disconnected_since
    from worker_sessions
   group by worker_id;

drop index workers_connected;
alter table workers drop column connected_at;

create table dummy_instances (
  id bigserial primary key,
  labels jsonb not null default '{}',
  created_at timestamptz not null default now(),
  user_data text not null
);
`,
  down: `
drop table dummy_instances;
alter table workers add column connected_at timestamptz;
update workers w set connected_at = c.connected_since from worker_connections c where c.worker_id = w.id;
create index workers_connected on workers (connected_at) where connected_at is not null;
drop view worker_connections;
drop table worker_sessions;
`,
};
