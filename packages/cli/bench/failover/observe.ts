import { type Database } from '@buildfleet/models';

/** Rows of a select (or of an insert … returning). */
export async function select<T>(db: Database, sql: string, bind: unknown[] = []): Promise<T[]> {
  const [rows] = await db.sequelize.query(sql, { bind });
  return rows as T[];
}

/**
 * What the harness records inside the database it runs on (its own tables, created there,
 * never part of buildfleet's schema): every assignment of a request to a worker, with whether
 * that worker held a live session lease at that moment, and every session opened.
 */
export async function installRecorders(db: Database): Promise<void> {
  await db.sequelize.query(`
    create table failover_assignments (
      request_id bigint not null, worker_id bigint not null, assigned_at timestamptz not null, lease_live boolean not null
    );
    create table failover_sessions (worker_id bigint not null, process_id uuid not null, connected_at timestamptz not null);
    create function failover_record_assignment() returns trigger language plpgsql as $$
    begin
      insert into failover_assignments values (new.id, new.worker_id, clock_timestamp(),
        exists (select 1 from worker_sessions s where s.worker_id = new.worker_id and s.expires_at > now()));
      return new;
    end $$;
    create trigger failover_assignment after update of worker_id on work_requests for each row
      when (new.worker_id is not null and new.worker_id is distinct from old.worker_id)
      execute function failover_record_assignment();
    create function failover_record_session() returns trigger language plpgsql as $$
    begin
      insert into failover_sessions values (new.worker_id, new.process_id, new.connected_at);
      return new;
    end $$;
    create trigger failover_session after insert on worker_sessions for each row execute function failover_record_session();
  `);
}

/** The workers holding a live lease through `processId`, just before a disruption. */
export async function workersHeldBy(db: Database, processId: string): Promise<string[]> {
  const rows = await select<{ worker_id: string }>(
    db,
    `select distinct worker_id from worker_sessions where process_id = $1::uuid and expires_at > now()`,
    [processId],
  );
  return rows.map((r) => r.worker_id);
}

/** For each worker, how long after `since` it opened a session through another process (null: never). */
export async function reconnectDelays(db: Database, disruption: { processId: string; at: Date; workers: string[] }): Promise<(number | null)[]> {
  const rows = await select<{ delay_ms: number | null }>(
    db,
    `select (select extract(epoch from min(s.connected_at) - $2::timestamptz) * 1000
               from failover_sessions s
              where s.worker_id = w.id and s.process_id <> $1::uuid and s.connected_at >= $2::timestamptz) as delay_ms
       from unnest($3::bigint[]) as w(id)`,
    [disruption.processId, disruption.at, disruption.workers],
  );
  return rows.map((r) => (r.delay_ms === null ? null : Number(r.delay_ms)));
}

export interface Outcome {
  /** Queued requests none of whose runs (the request or a retry superseding it) completed. */
  lost: number;
  /** Queued requests with more than one completed run. */
  duplicates: number;
  /** Assignments to a worker with no live session lease at that moment. */
  expiredAssignments: number;
  /** The longest time, from the kill to the last assignment, in which no request was assigned. */
  stallMaxMs: number;
}

export async function readOutcome(db: Database, queued: string[], killedAt: Date): Promise<Outcome> {
  const [row] = await select<{ lost: number; duplicates: number; expired: number; stall_ms: number | null }>(
    db,
    `with recursive chain as (
       select id as root, id from work_requests where id = any($1::bigint[])
       union all
       select c.root, r.id from chain c join work_requests r on r.supersedes_id = c.id
     ), runs as (
       select c.root, count(*) filter (where r.status = 'completed' and r.result = 'success') as completed
         from chain c join work_requests r on r.id = c.id group by c.root
     ), moments as (
       select $2::timestamptz as at
       union all
       select assigned_at from failover_assignments where assigned_at > $2::timestamptz
     ), gaps as (
       select at - lag(at) over (order by at) as gap from moments
     )
     select (select count(*)::int from runs where completed = 0) as lost,
            (select count(*)::int from runs where completed > 1) as duplicates,
            (select count(*)::int from failover_assignments where not lease_live) as expired,
            (select extract(epoch from max(gap)) * 1000 from gaps) as stall_ms`,
    [queued, killedAt],
  );
  return { lost: row!.lost, duplicates: row!.duplicates, expiredAssignments: row!.expired, stallMaxMs: Math.round(Number(row!.stall_ms ?? 0)) };
}

/** The runs of each lost request, to show why. */
export async function lostRuns(db: Database, queued: string[]): Promise<string[]> {
  const rows = await select<{ line: string }>(
    db,
    `with recursive chain as (
       select id as root, id from work_requests where id = any($1::bigint[])
       union all
       select c.root, r.id from chain c join work_requests r on r.supersedes_id = c.id
     ), lost as (
       select c.root from chain c join work_requests r on r.id = c.id
        group by c.root having count(*) filter (where r.status = 'completed' and r.result = 'success') = 0
     )
     select format('request %s: %s %s on %s, errors %s', r.id, r.status, r.result, w.name, r.output_data -> 'errors') as line
       from lost l join chain c on c.root = l.root join work_requests r on r.id = c.id left join workers w on w.id = r.worker_id
      order by r.id`,
    [queued],
  );
  return rows.map((r) => r.line);
}

/** How many queued chains have a completed run yet. */
export async function completedCount(db: Database, queued: string[]): Promise<number> {
  const [row] = await select<{ n: number }>(
    db,
    `with recursive chain as (
       select id as root, id from work_requests where id = any($1::bigint[])
       union all
       select c.root, r.id from chain c join work_requests r on r.supersedes_id = c.id
     )
     select count(distinct c.root)::int as n from chain c join work_requests r on r.id = c.id where r.status = 'completed'`,
    [queued],
  );
  return row!.n;
}

/** Workers not connected now (no live session lease), by name. */
export async function disconnectedWorkers(db: Database, names: string[]): Promise<string[]> {
  const rows = await select<{ name: string }>(
    db,
    `select w.name from workers w
      where w.name = any($1::text[])
        and not exists (select 1 from worker_sessions s where s.worker_id = w.id and s.expires_at > now())
      order by w.name`,
    [names],
  );
  return rows.map((r) => r.name);
}

/**
 * Launch bookkeeping across the replicas' provisioners: worker names with more than one
 * pretend instance (a duplicate launch), instances no live worker row names, and live pool
 * workers whose instance is not in the pretend cloud (orphans either way).
 */
export async function launchAudit(db: Database): Promise<{ duplicateLaunches: string[]; orphans: string[] }> {
  const duplicates = await select<{ name: string }>(db,
    `select labels ->> 'buildfleet-worker' as name from dummy_instances group by 1 having count(*) > 1`,
  );
  const orphans = await select<{ what: string }>(db,
    `select 'instance dummy-' || i.id as what from dummy_instances i
      where not exists (select 1 from workers w where w.instance_created_at is not null
                          and w.worker_pool_data ->> 'instance-id' = 'dummy-' || i.id)
     union all
     select 'worker ' || w.name from workers w
      where w.instance_created_at is not null and w.worker_pool_data ->> 'instance-id' is not null
        and not exists (select 1 from dummy_instances i where 'dummy-' || i.id = w.worker_pool_data ->> 'instance-id')`,
  );
  return { duplicateLaunches: duplicates.map((r) => r.name), orphans: orphans.map((r) => r.what) };
}
