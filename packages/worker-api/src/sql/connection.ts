import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

export async function markConnected(db: Database, workerId: string): Promise<void> {
  await db.sequelize.query(`update workers set connected_at = now() where id = $1::bigint`, { bind: [workerId] });
}

export async function markDisconnected(db: Database, workerId: string): Promise<void> {
  await db.sequelize.query(`update workers set connected_at = null where id = $1::bigint`, { bind: [workerId] });
}

/**
 * Clears `connected_at` of every worker but Celery ones, as Debusine does when its server
 * starts: sessions do not survive a restart. Returns how many workers were marked.
 */
export async function markAllDisconnected(db: Database): Promise<number> {
  const rows = await db.sequelize.query<{ id: string }>(
    `update workers set connected_at = null
      where connected_at is not null and worker_type <> 'celery'
     returning id`,
    { type: QueryTypes.SELECT },
  );
  return rows.length;
}

/** The worker has pending or running work requests assigned to it. */
export async function hasAssignedWork(db: Database, workerId: string): Promise<boolean> {
  const [row] = await db.sequelize.query<{ busy: boolean }>(
    `select exists (select 1 from work_requests
                     where worker_id = $1::bigint and status in ('pending', 'running')) as busy`,
    { bind: [workerId], type: QueryTypes.SELECT },
  );
  return row!.busy;
}

/** Of these workers, those with pending work requests assigned to them. */
export async function workersWithPendingWork(db: Database, workerIds: readonly string[]): Promise<string[]> {
  if (!workerIds.length) return [];
  const rows = await db.sequelize.query<{ worker_id: string }>(
    `select distinct worker_id from work_requests where status = 'pending' and worker_id = any($1::bigint[])`,
    { bind: [workerIds], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.worker_id);
}
