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

/** SQL: the first pending request already assigned to the worker `$1`, in queue order. */
const ASSIGNED_SQL = `select id from work_requests where worker_id = $1::bigint and status = 'pending'
  order by ${queueOrderSql()} limit 1`;

/**
 * SQL: marks the request `idSql` names running, started at `$2` (else the database's clock), if
 * it is still pending and the worker `$1`'s, returning its row.
 */
function startSql(idSql: string): string {
  return `update work_requests set status = 'running', started_at = coalesce($2::timestamptz, now())
     where id = (${idSql}) and worker_id = $1::bigint and status = 'pending'
    returning ${WORK_REQUEST_ROW_COLUMNS}`;
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
 * transaction. A deadlock or serialization failure runs it once more.
 */
export async function startNextForWorker(db: Database, workerId: string): Promise<{ started: WorkRequestRow | null; lost: AbortResult }> {
  const [fast] = await queryPrepared<Partial<WorkRequestRow> & { running: boolean }>(db, `with running as (
       select exists (select 1 from work_requests where worker_id = $1::bigint and status = 'running') as running
     ), started as (
       ${startSql(`select a.id from (${ASSIGNED_SQL}) a, running where not running.running`)}
     )
     select started.*, running.running from running left join started on true`, [workerId, null]);
  const { running, ...row } = fast!;
  if (row.id) return { started: row as WorkRequestRow, lost: { aborted: [], retries: [] } };
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

/**
 * Per-event dispatch: when one worker's state changes (it completed a request, reported its
 * metadata), settles that worker's next request as get-next-for-worker would, instead of a
 * pass over the whole queue and fleet, and tells its session (in whichever process holds it)
 * through WORK_ASSIGNED_CHANNEL on commit. Returns the id of the request waiting for it, if any.
 */
export async function settleNextForWorker(db: Database, workerId: string): Promise<string | null> {
  return retryingConflictOnce(() =>
    db.sequelize.transaction(async (transaction) => {
      const next = await claimInTransaction(db, workerId, transaction);
      if (!next) return null;
      if (next.assigned) {
        await db.sequelize.query('select pg_notify($1, $2)', { bind: [WORK_ASSIGNED_CHANNEL, workerId], transaction });
      } else {
        await assign(db, workerId, next.id, transaction, true);
      }
      return next.id;
    }),
  );
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
    }>(db, `with state as (
         select (${ASSIGNED_SQL}) as assigned,
                (select count(*)::int from work_requests where worker_id = $1 and status in ('pending', 'running')) as active,
                (select ${connectedSinceSql('w.id')} is not null and coalesce(t.enabled, false) and ${WORKER_NOT_DRAINING}
                   from workers w left join tokens t on t.id = w.token_id where w.id = $1) as eligible
       ), able as (
         select rs.id from requirement_sets rs, workers w left join worker_pools p on p.id = w.worker_pool_id
          where w.id = $1 and ${satisfiesSql(WORKER_TAGS, WORKER_NUMERIC, 'rs')}
       )
       select state.assigned, best.* from state left join lateral (
         select r.id, r.task_type, r.task_name, r.task_data
           from work_requests r, workers w left join worker_pools p on p.id = w.worker_pool_id
          where state.assigned is null and state.eligible and state.active < $2::integer
            and w.id = $1 and r.status = 'pending' and r.worker_id is null
            and r.requirement_set_id in (select id from able)
            and ${servesScopeSql('r.scope_id')}
          order by ${queueOrderSql('r')}
          limit 1 for no key update of r skip locked
       ) best on true`, [workerId, worker.concurrency], transaction);
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
