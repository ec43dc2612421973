import { type Database, queryPrepared, type RuntimeStatistics, type WorkRequestOutputData, type WorkRequestResult } from '@buildfleet/models';
import { settleCall, type SettleRow, startWaitingCtesSql, WORK_REQUEST_ROW_COLUMNS, type WorkRequestRow } from '@buildfleet/scheduler';
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

/** What the completion's own round trip did about the worker's next request (settleCall). */
export type CompletionSettle = { rows: SettleRow[] } | { error: string };

/**
 * SQL: a session's own function completing request `$1` for the worker whose token key has the
 * sha256 `$2` (completionSql with workerTokenCtesSql) and, when it completed it, settling that
 * worker's next request in the same round trip (settleCall's first call, its arguments from `$7`
 * on). The settle runs in a block of its own: when it fails (a deadlock, say), only its work is
 * rolled back and its error returned, never the completion's, since the worker exits when its
 * report fails. One row per row of the settle (its columns null when it returned none or did
 * not run), each with the completion's outcome.
 */
function completeForTokenFunctionSql(settle: string): string {
  return `create or replace function pg_temp.buildfleet_complete_for_token(bigint, text, text, jsonb, integer, timestamptz, text[], text, integer)
  returns table (completion_found boolean, completion_own boolean, completion_count integer, token_worker_id bigint, token_worker_name text,
                 token_worker_pool_id bigint, settle_error text, settled text, request_id bigint, request_task_type text, request_task_name text,
                 request_task_data jsonb, request_checked text)
  language plpgsql as $complete$
#variable_conflict use_column
declare
  c record;
begin
  ${completionSql(`${workerTokenCtesSql('$2')},`, '(select id from token_worker)', `,
            (select id from token_worker) as worker_id, (select name from token_worker) as worker_name,
            (select worker_pool_id from token_worker) as worker_pool_id`)}
    into c;
  if c.worker_id is not null and c.completed > 0 then
    begin
      -- The settle's rows are all computed before any is returned, so a failure returns none of them.
      return query select c.found, c.own, c.completed, c.worker_id, c.worker_name::text, c.worker_pool_id, null::text, s.*
        from ${settle} s;
      if found then return; end if;
    exception when others then
      return query select c.found, c.own, c.completed, c.worker_id, c.worker_name::text, c.worker_pool_id, sqlstate || ': ' || sqlerrm,
        null::text, null::bigint, null::text, null::text, null::jsonb, null::text;
      return;
    end;
  end if;
  return query select c.found, c.own, c.completed, c.worker_id, c.worker_name::text, c.worker_pool_id, null::text,
    null::text, null::bigint, null::text, null::text, null::jsonb, null::text;
end
$complete$`;
}

/**
 * completeWorkRequest for the worker whose token key has the sha256 `tokenHash`, checked in the
 * same statement (workerTokenCtesSql): that worker and the outcome, or null when the token is
 * no usable worker token (nothing was changed). When it completed the request, the same round
 * trip settled the worker's next request (`settle`: the settle's rows for settleFrom, or the
 * error that rolled the settle alone back); otherwise `settle` is absent.
 */
export async function completeWorkRequestForToken(
  db: Database,
  workRequestId: string,
  tokenHash: string,
  result: Exclude<WorkRequestResult, ''>,
  outputData: WorkRequestOutputData,
): Promise<{ worker: AuthenticatedWorker; outcome: CompletionOutcome; settle?: CompletionSettle } | null> {
  const settle = settleCall('c.worker_id', 7);
  const rows = await queryPrepared<
    SettleRow & {
      completion_found: boolean;
      completion_own: boolean | null;
      completion_count: number;
      token_worker_id: string | null;
      token_worker_name: string;
      token_worker_pool_id: string | null;
      settle_error: string | null;
    }
  >(
    db,
    'select * from pg_temp.buildfleet_complete_for_token($1::bigint, $2::text, $3::text, $4::jsonb, $5::integer, $6::timestamptz, $7::text[], $8::text, $9::integer)',
    () => [...completionBind(workRequestId, tokenHash, result, outputData), ...settle.bind()],
    undefined,
    { setup: `${settle.setup};\n${completeForTokenFunctionSql(settle.sql)}` },
  );
  const [row] = rows;
  if (row!.token_worker_id === null) return null;
  const worker = { id: row!.token_worker_id, name: row!.token_worker_name, workerPoolId: row!.token_worker_pool_id };
  const outcome = completionOutcome({ found: row!.completion_found, own: row!.completion_own, completed: row!.completion_count });
  if (outcome !== 'completed') return { worker, outcome };
  const settled: CompletionSettle = row!.settle_error !== null ? { error: row!.settle_error } : { rows: rows.filter((r) => r.settled !== null) };
  return { worker, outcome, settle: settled };
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
