import { type Database, queryPrepared, type RuntimeStatistics, type WorkRequestOutputData, type WorkRequestResult } from '@buildfleet/models';
import { WORK_REQUEST_ROW_COLUMNS } from '@buildfleet/scheduler';
import { QueryTypes } from 'sequelize';
import { type DbWorkRequest } from '../interfaces';

const COLUMNS = WORK_REQUEST_ROW_COLUMNS;

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

/** What a completion report found: its request (mine, another worker's, none), and whether it completed it. */
export type CompletionOutcome = 'completed' | 'unchanged' | 'missing' | 'other-worker';

/** Whether the request exists and is this worker's, for a report refused for other reasons. */
export async function completionTarget(db: Database, workRequestId: string, workerId: string): Promise<CompletionOutcome> {
  const row = await readWorkRequest(db, workRequestId);
  if (!row) return 'missing';
  return row.worker_id === workerId ? 'unchanged' : 'other-worker';
}

/**
 * Completes a pending or running request of this worker at `now` (default: the database's
 * clock) and, when the worker is in a pool and reported a duration, charges it to the request's
 * scope in worker_pool_task_execution_statistics, in one statement that also tells whether the
 * request exists and is this worker's. A request of this worker in any other state is left alone
 * (`unchanged`: Debusine answers 200 all the same).
 */
export async function completeWorkRequest(
  db: Database,
  workRequestId: string,
  workerId: string,
  result: Exclude<WorkRequestResult, ''>,
  outputData: WorkRequestOutputData,
  { now }: { now?: Date } = {},
): Promise<CompletionOutcome> {
  const duration: RuntimeStatistics['duration'] = outputData.runtime_statistics?.duration;
  const [row] = await queryPrepared<{ found: boolean; own: boolean | null; completed: number }>(db, `with target as (
       select worker_id = $2::bigint as own from work_requests where id = $1::bigint
     ), done as (
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
     select exists (select 1 from target) as found, (select own from target) as own,
            (select count(*) from done)::int as completed, (select count(*) from statistics)::int as statistics`, [workRequestId, workerId, result, JSON.stringify(outputData), duration ?? null, now ?? null]);
  if (!row!.found) return 'missing';
  if (row!.own !== true) return 'other-worker';
  return row!.completed > 0 ? 'completed' : 'unchanged';
}
