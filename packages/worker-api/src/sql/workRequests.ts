import { type Database, type RuntimeStatistics, type WorkRequestOutputData, type WorkRequestResult } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { type DbWorkRequest } from '../interfaces';

const COLUMNS = `id, scope_id, status, result, task_type, task_name, task_data, priority_base, priority_adjustment,
  worker_id, created_at, started_at, completed_at, retry_count`;

/**
 * Marks a pending request assigned to this worker running, started at `now` (default: the
 * database's clock); null when it no longer is both.
 */
export async function markRunning(
  db: Database,
  workRequestId: string,
  workerId: string,
  { now }: { now?: Date } = {},
): Promise<DbWorkRequest | null> {
  const [row] = await db.sequelize.query<DbWorkRequest>(
    `update work_requests set status = 'running', started_at = coalesce($3::timestamptz, now())
      where id = $1::bigint and worker_id = $2::bigint and status = 'pending'
     returning ${COLUMNS}`,
    { bind: [workRequestId, workerId, now ?? null], type: QueryTypes.SELECT },
  );
  return row ?? null;
}

/** The requests with these ids, in that order (missing ones left out), each with the ids of its artifacts. */
export async function readWorkRequestsWithArtifacts(
  db: Database,
  ids: string[],
): Promise<(DbWorkRequest & { artifact_ids: string[] })[]> {
  return db.sequelize.query<DbWorkRequest & { artifact_ids: string[] }>(
    `select ${COLUMNS}, array(select a.id::text from artifacts a where a.work_request_id = r.id order by a.id) as artifact_ids
       from unnest($1::bigint[]) with ordinality as wanted(id, position)
       join work_requests r using (id)
      order by wanted.position`,
    { bind: [ids], type: QueryTypes.SELECT },
  );
}

export async function readWorkRequest(db: Database, workRequestId: string): Promise<DbWorkRequest | null> {
  const [row] = await db.sequelize.query<DbWorkRequest>(`select ${COLUMNS} from work_requests where id = $1::bigint`, {
    bind: [workRequestId],
    type: QueryTypes.SELECT,
  });
  return row ?? null;
}

/**
 * Completes a pending or running request of this worker at `now` (default: the database's
 * clock) and, when the worker is in a pool and reported a duration, charges it to the request's
 * scope in worker_pool_task_execution_statistics, in one statement. A request in any other
 * state is left alone (Debusine answers 200 all the same). Returns whether it was completed.
 */
export async function completeWorkRequest(
  db: Database,
  workRequestId: string,
  workerId: string,
  result: Exclude<WorkRequestResult, ''>,
  outputData: WorkRequestOutputData,
  { now }: { now?: Date } = {},
): Promise<boolean> {
  const duration: RuntimeStatistics['duration'] = outputData.runtime_statistics?.duration;
  const [row] = await db.sequelize.query<{ completed: number }>(
    `with done as (
       update work_requests
          set status = 'completed', result = $3::text, output_data = $4::jsonb, completed_at = coalesce($6::timestamptz, now())
        where id = $1::bigint and worker_id = $2::bigint and status in ('pending', 'running')
       returning id, scope_id, worker_id
     ), statistics as (
       insert into worker_pool_task_execution_statistics (worker_pool_id, worker_id, scope_id, timestamp, runtime)
       select w.worker_pool_id, w.id, done.scope_id, coalesce($6::timestamptz, now()), $5::integer
         from done join workers w on w.id = done.worker_id
        where w.worker_pool_id is not null and $5::integer is not null
       returning id
     )
     select (select count(*) from done)::int as completed, (select count(*) from statistics)::int as statistics`,
    { bind: [workRequestId, workerId, result, JSON.stringify(outputData), duration ?? null, now ?? null], type: QueryTypes.SELECT },
  );
  return row!.completed > 0;
}
