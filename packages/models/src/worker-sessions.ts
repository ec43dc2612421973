import { QueryTypes, type Transaction } from 'sequelize';
import { type Database } from './database';

/**
 * Worker sessions with leases. A process serving a worker's WebSocket holds a lease on that
 * session (a `worker_sessions` row with the process's id and an expiry) and renews it on a
 * heartbeat; a worker is connected while any of its sessions has a live lease. A process only
 * ever renews or releases its own sessions, so replicas starting and stopping leave each other
 * alone, and the sessions of a process that died lapse within one lease.
 */

/** How long a session stays live without a renewal. (The heartbeat renews every third of it.) */
export const DEFAULT_SESSION_LEASE_MS = 30_000;

/**
 * SQL: since when the worker with id `workerId` (an SQL expression such as `w.id`) has been
 * connected, or null while no process holds a live lease on a session of it. The one test of
 * connectedness: dispatch, get-next-for-worker, the provisioner, the lost-work rule and the
 * status UI all use it.
 */
export function connectedSinceSql(workerId: string): string {
  return `(select c.connected_since from worker_connections c where c.worker_id = ${workerId})`;
}

/**
 * SQL: a relation of the workers connected now (`worker_id`, `connected_since`), the same test
 * as connectedSinceSql for a whole fleet at once: join it where every worker is asked about, so
 * the sessions are read once instead of once per worker.
 */
export const CONNECTED_WORKERS_SQL = `(select c.worker_id, c.connected_since from worker_connections c where c.connected_since is not null)`;

/**
 * SQL: since when the worker with id `workerId` has been disconnected (the end of its last
 * lease), or null while it is connected or if it never connected.
 */
export function disconnectedSinceSql(workerId: string): string {
  return `(select c.disconnected_since from worker_connections c where c.worker_id = ${workerId})`;
}

export interface SessionLease {
  processId: string;
  leaseMs: number;
}

/**
 * Records a new session of the worker held by `processId` and returns its id. The worker's
 * sessions whose lease already ended are removed: only live ones, or the last ended ones of a
 * worker gone, are kept.
 */
export async function openWorkerSession(db: Database, workerId: string, lease: SessionLease): Promise<string> {
  const [row] = await db.sequelize.query<{ id: string }>(
    `with ended as (
       delete from worker_sessions where worker_id = $1::bigint and expires_at <= now()
     )
     insert into worker_sessions (worker_id, process_id, expires_at)
     values ($1::bigint, $2::uuid, now() + $3::integer * interval '1 millisecond')
     returning id`,
    { bind: [workerId, lease.processId, lease.leaseMs], type: QueryTypes.SELECT },
  );
  return row!.id;
}

/**
 * Ending a lease takes the worker rows' lock (in id order) first, the lock dispatch passes and
 * get-next claims hold while they assign: an assignment that saw the worker connected commits
 * before the lease ends, and one that starts after sees it ended.
 */
async function endLeases(db: Database, where: string, bind: unknown[], outer?: Transaction): Promise<number> {
  const run = async (transaction: Transaction) => {
    await db.sequelize.query(
      `select w.id from workers w
        where w.id in (select s.worker_id from worker_sessions s where ${where} and s.expires_at > now())
        order by w.id for no key update of w`,
      { bind, transaction },
    );
    const rows = await db.sequelize.query<{ id: string }>(
      `update worker_sessions s set expires_at = greatest(s.connected_at, now())
        where ${where} and s.expires_at > now()
       returning s.id`,
      { bind, type: QueryTypes.SELECT, transaction },
    );
    return rows.length;
  };
  return outer ? run(outer) : db.sequelize.transaction(run);
}

/** Ends the lease of one session now (the WebSocket closed). */
export async function endWorkerSession(db: Database, sessionId: string): Promise<void> {
  await endLeases(db, 's.id = $1::bigint', [sessionId]);
}

/**
 * Extends the live leases of `processId` by a lease from now and returns the ids renewed. A
 * session of the process whose lease had lapsed, or that another process ended (instance
 * terminated), is not revived: the holder should close it, and the worker reconnects.
 */
export async function renewSessionLeases(db: Database, lease: SessionLease): Promise<string[]> {
  const rows = await db.sequelize.query<{ id: string }>(
    `update worker_sessions set expires_at = now() + $2::integer * interval '1 millisecond'
      where process_id = $1::uuid and expires_at > now()
     returning id`,
    { bind: [lease.processId, lease.leaseMs], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.id);
}

/** Ends every live lease `processId` holds, at its shutdown. Returns how many there were. */
export async function releaseSessionLeases(db: Database, processId: string): Promise<number> {
  return endLeases(db, 's.process_id = $1::uuid', [processId]);
}

/** Ends the live leases on these workers' sessions, whichever process holds them (e.g. their instances were terminated). */
export async function endWorkerLeases(db: Database, workerIds: readonly string[], transaction?: Transaction): Promise<void> {
  if (!workerIds.length) return;
  await endLeases(db, 's.worker_id = any($1::bigint[])', [workerIds], transaction);
}
