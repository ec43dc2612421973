import { type Database, queryPrepared, type RuntimeStatistics, type WorkRequestOutputData, type WorkRequestResult } from '@buildfleet/models';
import { startWaitingCtesSql, WORK_REQUEST_ROW_COLUMNS, type WorkRequestRow } from '@buildfleet/scheduler';
import { QueryTypes } from 'sequelize';
import { type AuthenticatedWorker, type DbWorkRequest } from '../interfaces';
import { workerTokenCtesSql } from './authenticate';

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
  const [row] = await queryPrepared<CompletionRow>(db, completionSql('', '$2::bigint'), completionBind(workRequestId, workerId, result, outputData, now));
  return completionOutcome(row!);
}

/**
 * completeWorkRequest for the worker whose token key has the sha256 `tokenHash`, checked in the
 * same statement (workerTokenCtesSql): that worker and the outcome, or null when the token is
 * no usable worker token (nothing was changed).
 */
export async function completeWorkRequestForToken(
  db: Database,
  workRequestId: string,
  tokenHash: string,
  result: Exclude<WorkRequestResult, ''>,
  outputData: WorkRequestOutputData,
): Promise<{ worker: AuthenticatedWorker; outcome: CompletionOutcome } | null> {
  const [row] = await queryPrepared<CompletionRow & { worker_id: string | null; worker_name: string; worker_pool_id: string | null }>(
    db,
    completionSql(`${workerTokenCtesSql('$2::text')},`, '(select id from token_worker)', `,
            (select id from token_worker) as worker_id, (select name from token_worker) as worker_name,
            (select worker_pool_id from token_worker) as worker_pool_id`),
    completionBind(workRequestId, tokenHash, result, outputData),
  );
  if (row!.worker_id === null) return null;
  return { worker: { id: row!.worker_id, name: row!.worker_name, workerPoolId: row!.worker_pool_id }, outcome: completionOutcome(row!) };
}

interface CompletionRow {
  found: boolean;
  own: boolean | null;
  completed: number;
}

function completionOutcome(row: CompletionRow): CompletionOutcome {
  if (!row.found) return 'missing';
  if (row.own !== true) return 'other-worker';
  return row.completed > 0 ? 'completed' : 'unchanged';
}

function completionBind(
  workRequestId: string,
  worker: string,
  result: Exclude<WorkRequestResult, ''>,
  outputData: WorkRequestOutputData,
  now?: Date,
): unknown[] {
  const duration: RuntimeStatistics['duration'] = outputData.runtime_statistics?.duration;
  return [workRequestId, worker, result, JSON.stringify(outputData), duration ?? null, now ?? null];
}

/** SQL: the completion of request `$1` by the worker `worker` (an expression), after the CTEs `ctes` and with `columns` added. */
function completionSql(ctes: string, worker: string, columns = ''): string {
  return `with ${ctes} target as (
       select worker_id = ${worker} as own from work_requests where id = $1::bigint
     ), done as (
       update work_requests
          set status = 'completed', result = $3::text, output_data = $4::jsonb, completed_at = coalesce($6::timestamptz, now())
        where id = $1::bigint and worker_id = ${worker} and status in ('pending', 'running')
       returning id, scope_id, worker_id
     ), statistics as (
       insert into worker_pool_task_execution_statistics (worker_pool_id, worker_id, scope_id, timestamp, runtime)
       select w.worker_pool_id, w.id, done.scope_id, coalesce($6::timestamptz, now()), $5::integer
         from done join workers w on w.id = done.worker_id
        where w.worker_pool_id is not null and $5::integer is not null
       returning id
     )
     select exists (select 1 from target) as found, (select own from target) as own,
            (select count(*) from done)::int as completed, (select count(*) from statistics)::int as statistics${columns}`;
}

/**
 * get-next-for-worker's usual case for the worker whose token key has the sha256 `tokenHash`,
 * checked in the same statement (workerTokenCtesSql): that worker, whether a request runs on it,
 * and the request already waiting for it, marked running (startWaitingCtesSql), if any; null
 * when the token is no usable worker token (nothing was changed).
 */
export async function startWaitingForToken(
  db: Database,
  tokenHash: string,
): Promise<{ worker: AuthenticatedWorker; running: boolean; started: WorkRequestRow | null } | null> {
  const [row] = await queryPrepared<Partial<WorkRequestRow> & { token_worker_id: string; token_worker_name: string; token_worker_pool_id: string | null; running: boolean }>(
    db,
    `with ${workerTokenCtesSql('$1::text')}, ${startWaitingCtesSql('(select id from token_worker)')}
     select token_worker.id as token_worker_id, token_worker.name as token_worker_name,
            token_worker.worker_pool_id as token_worker_pool_id, running.running, started.*
       from token_worker, running left join started on true`,
    [tokenHash],
  );
  if (!row) return null;
  const { token_worker_id: id, token_worker_name: name, token_worker_pool_id: workerPoolId, running, ...started } = row;
  return { worker: { id, name, workerPoolId }, running, started: started.id ? (started as WorkRequestRow) : null };
}
