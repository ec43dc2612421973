import { connectedSinceSql, type Database, queryPrepared, retryingConflictOnce, type TaskType, type WorkRequest } from '@buildfleet/models';
import { type Transaction } from 'sequelize';
import { WORK_ASSIGNED_CHANNEL } from './assignRequests';
import { abortWorkRequests, type AbortResult } from './abortWorkRequests';
import { closeUnconfigurable, configureFailure } from './closeUnconfigurable';
import { satisfiesSql, servesScopeSql, WORKER_NOT_DRAINING, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { queueOrderSql } from './queueOrder';

/** A work request row as the worker API answers with it (Debusine's WorkRequestResponse is built from it). */
export interface WorkRequestRow {
  id: string;
  scope_id: string;
  status: string;
  result: string;
  task_type: string;
  task_name: string;
  task_data: Record<string, unknown>;
  priority_base: number;
  priority_adjustment: number;
  worker_id: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  retry_count: number;
}

/** SQL: the columns of a WorkRequestRow. */
export const WORK_REQUEST_ROW_COLUMNS = `id, scope_id, status, result, task_type, task_name, task_data, priority_base,
  priority_adjustment, worker_id, created_at, started_at, completed_at, retry_count`;

/** SQL: the first pending request already assigned to the worker `worker`, in queue order. */
function assignedSql(worker: string): string {
  return `select id from work_requests where worker_id = ${worker} and status = 'pending'
  order by ${queueOrderSql()} limit 1`;
}

const ASSIGNED_SQL = assignedSql('$1::bigint');

/**
 * SQL: marks the request `idSql` names running, started at `now` (else the database's clock), if
 * it is still pending and the worker `worker`'s, returning its row.
 */
function startSql(idSql: string, worker = '$1::bigint', now = '$2::timestamptz'): string {
  return `update work_requests set status = 'running', started_at = coalesce(${now}, now())
     where id = (${idSql}) and worker_id = ${worker} and status = 'pending'
    returning ${WORK_REQUEST_ROW_COLUMNS}`;
}

/**
 * SQL: get-next-for-worker's usual case as two CTEs for the worker `worker` (an expression):
 * `running` (whether a request runs on it: its work was lost) and `started` (when nothing
 * runs, the first request already waiting for it, marked running: its row). The worker API
 * puts them in one statement with its token check; when `started` is empty, it goes on with
 * startNextForWorker and `running`.
 */
export function startWaitingCtesSql(worker: string): string {
  return `running as (
       select exists (select 1 from work_requests where worker_id = ${worker} and status = 'running') as running
     ), started as (
       ${startSql(`select a.id from (${assignedSql(worker)}) a, running where not running.running`, worker, 'null::timestamptz')}
     )`;
}

/**
 * Marks a pending request assigned to this worker running, started at `now` (default: the
 * database's clock); null when it no longer is both.
 */
export async function markRunning(
  db: Database,
  workRequestId: string,
  workerId: string,
  { now, transaction }: { now?: Date; transaction?: Transaction } = {},
): Promise<WorkRequestRow | null> {
  const [row] = await queryPrepared<WorkRequestRow>(db, startSql('$3::bigint'), [workerId, now ?? null, workRequestId], transaction);
  return row ?? null;
}

const LOST_REASON = 'The worker asked for new work while this request was still running: it was lost';

/**
 * The worker-initiated path ("give me my next request"): the first pending request already
 * assigned to this worker, else the best pending request it can run, claimed for it if it
 * has a free slot. The worker row is locked for the decision, as in the bulk pass.
 * Does not mark the request running, nor notify: the asking worker gets the answer directly.
 * Returns null when nothing fits. A deadlock or serialization failure runs it once more.
 */
export async function assignNextForWorker(db: Database, workerId: string): Promise<WorkRequest | null> {
  const id = await retryingConflictOnce(() =>
    db.sequelize.transaction(async (transaction) => {
      const next = await claimInTransaction(db, workerId, transaction);
      if (next && !next.assigned) await assign(db, workerId, next.id, transaction);
      return next?.id ?? null;
    }),
  );
  return id ? db.models.WorkRequest.findByPk(id) : null;
}

/**
 * Debusine's get-next-for-worker: a worker asking for work while a request still runs on it
 * restarted, so those requests were lost and are aborted (`worker-failed`, retried); then its
 * next request (as assignNextForWorker chooses it) is marked running and returned, or null
 * when nothing fits. When a request already waits for the worker and nothing runs on it (the
 * usual case once per-event dispatch settled it), that is one statement; otherwise one
 * transaction. `running`: what the caller's own statement of startWaitingCtesSql found when it
 * started nothing (that statement is then not run again). A deadlock or serialization failure
 * runs it once more.
 */
export async function startNextForWorker(
  db: Database,
  workerId: string,
  { running: known }: { running?: boolean } = {},
): Promise<{ started: WorkRequestRow | null; lost: AbortResult }> {
  let running = known;
  if (running === undefined) {
    const [fast] = await queryPrepared<Partial<WorkRequestRow> & { running: boolean }>(
      db,
      `with ${startWaitingCtesSql('$1::bigint')} select started.*, running.running from running left join started on true`,
      [workerId],
    );
    const { running: found, ...row } = fast!;
    if (row.id) return { started: row as WorkRequestRow, lost: { aborted: [], retries: [] } };
    running = found;
  }
  return retryingConflictOnce(() =>
    db.sequelize.transaction(async (transaction) => {
      const lost = running
        ? await abortWorkRequests(db, { workerIds: [workerId] }, { cause: 'worker-failed', reason: LOST_REASON, transaction })
        : { aborted: [], retries: [] };
      const next = await claimInTransaction(db, workerId, transaction);
      if (next && !next.assigned) await assign(db, workerId, next.id, transaction);
      return { started: next && (await markRunning(db, next.id, workerId, { transaction })), lost };
    }),
  );
}

/** How many of the waiting requests after its best one a settle returns for checking ahead. */
const UPCOMING = 32;
/** At most this many ids of waiting requests checked configurable are kept, newest first. */
const CONFIGURABLE_KEPT = 256;

/**
 * The waiting requests this process found configurable (configureFailure), each as its id and
 * a digest of the task it was checked with (`checkedTaskSql`), so the settle may claim one of
 * them without handing it back first, and a request whose task changed since is checked
 * again. Only a hint: a request not in it is checked when it comes up.
 */
const configurable = new Set<string>();

function rememberConfigurable(checked: string): void {
  configurable.delete(checked);
  configurable.add(checked);
  for (const oldest of configurable) {
    if (configurable.size <= CONFIGURABLE_KEPT) break;
    configurable.delete(oldest);
  }
}

/** SQL: request `r`'s id and a digest of its task (type, name, data), as `configurable` keeps them. */
export function checkedTaskSql(r: string): string {
  return `(${r}.id::text || ':' || md5(${r}.task_type::text || ' ' || ${r}.task_name || ' ' || ${r}.task_data::text))`;
}

/**
 * Checks waiting requests a settle is about to meet (configureFailure), each with its
 * `checkedTaskSql` digest, and remembers those that pass, so the settle claims them in one
 * statement; one that fails is left for the settle to close.
 */
export function checkAhead(requests: { task_type: TaskType; task_name: string; task_data: Record<string, unknown>; checked: string }[]): void {
  for (const request of requests) {
    if (!configurable.has(request.checked) && !configureFailure(request)) rememberConfigurable(request.checked);
  }
}

/**
 * SQL: a session's own function (`pg_temp`, created on each connection by queryPrepared's
 * setup, from the same claim SQL as claimInTransaction, so the rules stay here) that settles
 * one worker's next request in one round trip. PL/pgSQL runs each statement with a fresh
 * snapshot: the state is read after the worker's lock, as in the transaction. It locks the
 * worker; when a request already waits for it, returns it (`assigned`) without notifying:
 * whoever gave it notified then (a pass, a settle's claim), and a session that missed it is
 * told on connecting and after its process (re)listens. Else it claims the best one it can run
 * when it is among those checked configurable (`$2`, as `checkedTaskSql`), and notifies; else hands that best
 * one back (`candidate`, still unclaimed) for the caller to check. With any of these it returns
 * the next `$4` waiting requests in queue order (`upcoming`, not locked) to check ahead.
 */
const SETTLE_FUNCTION_SQL = `create or replace function pg_temp.buildfleet_settle_next(bigint, text[], text, integer)
  returns table (settled text, request_id bigint, request_task_type text, request_task_name text, request_task_data jsonb, request_checked text)
  language plpgsql as $settle$
declare
  claim_concurrency integer;
  work record;
begin
  select w.concurrency into claim_concurrency from workers w where w.id = $1 for no key update of w;
  if not found then return; end if;
  select claim.* into work from (${claimSql('claim_concurrency')}) claim;
  if work.assigned is not null then
    return query select 'assigned', work.assigned::bigint, null::text, null::text, null::jsonb, null::text;
    return;
  end if;
  if work.id is null then return; end if;
  if ${checkedTaskSql('work')} = any($2) then
    update work_requests set worker_id = $1 where work_requests.id = work.id::bigint;
    perform pg_notify($3, $1::text);
    return query select 'claimed', work.id::bigint, null::text, null::text, null::jsonb, ${checkedTaskSql('work')};
  else
    return query select 'candidate', work.id::bigint, work.task_type::text, work.task_name::text, work.task_data::jsonb, ${checkedTaskSql('work')};
  end if;
  return query select 'upcoming', r.id, r.task_type::text, r.task_name, r.task_data::jsonb, ${checkedTaskSql('r')}
    from work_requests r
   where r.status = 'pending' and r.worker_id is null and r.id <> work.id::bigint
   order by ${queueOrderSql('r')}
   limit $4;
end
$settle$`;

/** A row of buildfleet_settle_next (SETTLE_FUNCTION_SQL). */
export interface SettleRow {
  settled: 'assigned' | 'claimed' | 'candidate' | 'upcoming';
  request_id: string;
  request_task_type: TaskType;
  request_task_name: string;
  request_task_data: Record<string, unknown>;
  request_checked: string;
}

/**
 * The settle's first call (buildfleet_settle_next) for a statement of another package that runs
 * it in its own round trip, as the completion does: `setup`, creating the function on the
 * connection (queryPrepared's option), and the call for the worker `worker` (an expression) with
 * its other arguments bound from `$first` on, which are `bind`. Its rows go to settleFrom.
 */
export function settleCall(worker: string, first: number): { setup: string; sql: string; bind: () => unknown[] } {
  return {
    setup: SETTLE_FUNCTION_SQL,
    sql: `pg_temp.buildfleet_settle_next(${worker}, $${first}::text[], $${first + 1}::text, $${first + 2}::integer)`,
    bind: () => [[...configurable], WORK_ASSIGNED_CHANNEL, UPCOMING],
  };
}

/**
 * What a call of buildfleet_settle_next returned, acted on: the waiting requests it returned
 * checked ahead, and the outcome: the id of the request waiting for the worker, null when none
 * is, undefined when the best request had to be checked first (closed when unconfigurable) and
 * the settle must be called again.
 */
async function settledBy(db: Database, rows: SettleRow[]): Promise<string | null | undefined> {
  checkAhead(
    rows
      .filter((row) => row.settled === 'upcoming')
      .map((row) => ({ task_type: row.request_task_type, task_name: row.request_task_name, task_data: row.request_task_data, checked: row.request_checked })),
  );
  const [outcome] = rows;
  if (!outcome) return null;
  if (outcome.settled === 'claimed') configurable.delete(outcome.request_checked);
  if (outcome.settled !== 'candidate') return outcome.request_id;
  const candidate = { id: outcome.request_id, task_type: outcome.request_task_type, task_name: outcome.request_task_name, task_data: outcome.request_task_data };
  if (configureFailure(candidate)) await closeUnconfigurable(db, [candidate]);
  else rememberConfigurable(outcome.request_checked);
  return undefined;
}

/**
 * Per-event dispatch: when one worker's state changes (it completed a request, reported its
 * metadata), settles that worker's next request as get-next-for-worker would, instead of a
 * pass over the whole queue and fleet, and when it claims one tells its session (in whichever
 * process holds it) through WORK_ASSIGNED_CHANNEL on commit; a request already waiting for the
 * worker was announced by whoever gave it, and is not announced twice. One statement (buildfleet_settle_next) when the best
 * request was checked configurable ahead; one more for a request seen for the first time, and
 * a request that cannot be configured is closed (closeUnconfigurable) and the next one tried.
 * Returns the id of the request waiting for it, if any. A deadlock or serialization failure
 * runs a statement once more.
 */
export async function settleNextForWorker(db: Database, workerId: string): Promise<string | null> {
  for (;;) {
    const { setup, sql, bind } = settleCall('$1::bigint', 2);
    const rows = await retryingConflictOnce(() => queryPrepared<SettleRow>(db, `select * from ${sql}`, () => [workerId, ...bind()], undefined, { setup }));
    const settled = await settledBy(db, rows);
    if (settled !== undefined) return settled;
  }
}

/**
 * settleNextForWorker for a worker whose settle's first call already ran inside another
 * statement (settleCall) and returned `rows`: goes on from there.
 */
export async function settleFrom(db: Database, workerId: string, rows: SettleRow[]): Promise<string | null> {
  const settled = await settledBy(db, rows);
  return settled !== undefined ? settled : settleNextForWorker(db, workerId);
}

/** Gives the claimed request to the worker, and with `notify` tells its session on commit, in one statement. */
async function assign(db: Database, workerId: string, workRequestId: string, transaction: Transaction, notify = false): Promise<void> {
  await db.sequelize.query(
    `with claimed as (update work_requests set worker_id = $1::bigint where id = $2::bigint returning id)
     select ${notify ? 'pg_notify($3, $1::text)' : 'id'} from claimed`,
    { bind: notify ? [workerId, workRequestId, WORK_ASSIGNED_CHANNEL] : [workerId, workRequestId], transaction },
  );
}

/**
 * SQL: for the worker `$1` (its row locked by the caller, and read after the lock), the request
 * already waiting for it (`assigned`), else, when it has nothing pending, is connected, enabled
 * and not draining and has fewer than `concurrency` active, the best request it can run,
 * locked (`skip locked`): `id`, `task_type`, `task_name`, `task_data`. The best request is read
 * from the waiting queue alone, in its index's order, each request checked as it comes (the
 * requirement sets the worker satisfies as one array, its pool per request): it stops at the
 * first fit instead of joining the queue to the worker and sorting what matched, the plan
 * PostgreSQL chose when its statistics said the queue was small (15 ms with 10,000 waiting).
 */
function claimSql(concurrency: string): string {
  return `with state as (
         select (${ASSIGNED_SQL}) as assigned,
                (select count(*)::int from work_requests where worker_id = $1 and status in ('pending', 'running')) as active,
                (select ${connectedSinceSql('w.id')} is not null and coalesce(t.enabled, false) and ${WORKER_NOT_DRAINING}
                   from workers w left join tokens t on t.id = w.token_id where w.id = $1) as eligible,
                array(select rs.id from requirement_sets rs, workers w left join worker_pools p on p.id = w.worker_pool_id
                       where w.id = $1 and ${satisfiesSql(WORKER_TAGS, WORKER_NUMERIC, 'rs')}) as able
       )
       select state.assigned, best.* from state left join lateral (
         select r.id, r.task_type, r.task_name, r.task_data
           from work_requests r
          where state.assigned is null and state.eligible and state.active < ${concurrency}
            and r.status = 'pending' and r.worker_id is null
            and r.requirement_set_id = any(state.able)
            and exists (select 1 from workers w left join worker_pools p on p.id = w.worker_pool_id
                         where w.id = $1 and ${servesScopeSql('r.scope_id')})
          order by ${queueOrderSql('r')}
          limit 1 for no key update of r skip locked
       ) best on true`;
}

/**
 * Locks the worker, then reads what it has and, when it has nothing pending, is connected,
 * enabled and not draining and has a free slot, the best request it can run, locked (`skip locked`). Returns
 * that request (`assigned` when it already was the worker's), or null.
 */
async function claimInTransaction(
  db: Database,
  workerId: string,
  transaction: Transaction,
): Promise<{ id: string; assigned: boolean } | null> {
  const [worker] = await queryPrepared<{ concurrency: number }>(db, `select w.concurrency from workers w where w.id = $1 for no key update of w`, [workerId], transaction);
  if (!worker) return null;
  for (;;) {
    // Read after the lock (a statement of its own): work a pass or claim committed while this
    // one waited counts, and so does a session lease that ended meanwhile (ending one takes
    // this lock too). The best request is only looked for when the worker can take it.
    const [work] = await queryPrepared<{
      assigned: string | null;
      id: string | null;
      task_type: TaskType;
      task_name: string;
      task_data: Record<string, unknown>;
    }>(db, claimSql('$2::integer'), [workerId, worker.concurrency], transaction);
    if (work!.assigned) return { id: work!.assigned, assigned: true };
    if (!work!.id) return null;
    // A request its worker would refuse is closed as Debusine closes it, and the next one tried.
    const best = { id: work!.id, task_type: work!.task_type, task_name: work!.task_name, task_data: work!.task_data };
    if (configureFailure(best)) {
      await closeUnconfigurable(db, [best], transaction);
      continue;
    }
    return { id: work!.id, assigned: false };
  }
}
