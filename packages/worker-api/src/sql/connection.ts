import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

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
