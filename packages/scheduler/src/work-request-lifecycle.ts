import { ConflictError, type Database, NotFoundError, parseInput, ValidationError } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { z } from 'zod';
import { abortWorkRequests } from './sql/abortWorkRequests';
import { supersedeWorkRequests } from './sql/supersedeWorkRequests';
import { getWorkRequest, type WorkRequestView } from './work-request-views';
import { PRIORITY } from './work-requests';

const ID = /^[0-9]{1,18}$/;

/**
 * An admin's abort of pending, blocked or running requests: all of them or none (an unknown id
 * or a finished request refuses the lot). Aborted requests are not retried. debusine-worker has
 * no message to stop a task, so a running one finishes on its worker and its completion is then
 * ignored. Returns the aborted requests.
 */
export async function abortWorkRequestsAsAdmin(
  db: Database,
  ids: string[],
  options: { reason?: string } = {},
): Promise<WorkRequestView[]> {
  checkIds(ids);
  const wanted = [...new Set(ids.map((id) => String(BigInt(id))))];
  const reason = options.reason ?? 'Aborted by an admin';
  if (!reason.trim() || reason.length > 500) {
    throw ValidationError.single('work request abort', 'reason', 'give a reason of 1 to 500 characters');
  }
  await db.sequelize.transaction(async (transaction) => {
    const rows = await lockRequests(db, wanted, transaction);
    const finished = rows.filter((r) => r.status === 'completed' || r.status === 'aborted');
    if (finished.length) {
      throw new ConflictError(
        `${finished.map((r) => `work request ${r.id} is already ${r.status}`).join('; ')}: only pending, blocked or running requests can be aborted`,
      );
    }
    await abortWorkRequests(db, { workRequestIds: wanted }, { cause: 'aborted', reason, transaction });
  });
  return Promise.all(wanted.map((id) => getWorkRequest(db, id)));
}

/**
 * Retries a failed or aborted request, as Debusine's retry: a new pending request superseding it,
 * with retry_count + 1. A request is retried once; retry its retry to try again. Returns the new request.
 */
export async function retryWorkRequest(db: Database, id: string): Promise<WorkRequestView> {
  checkIds([id]);
  const retry = await db.sequelize.transaction(async (transaction) => {
    const [row] = await lockRequests(db, [id], transaction);
    if (row!.superseded_by) {
      throw new ConflictError(`work request ${id} was already retried as ${row!.superseded_by}: retry that one instead`);
    }
    const failed = row!.status === 'aborted' || (row!.status === 'completed' && ['failure', 'error'].includes(row!.result));
    if (!failed) {
      const state = row!.result ? `${row!.status} (${row!.result})` : row!.status;
      throw new ConflictError(`work request ${id} is ${state}: only failed or aborted requests can be retried`);
    }
    const [created] = await supersedeWorkRequests(db, [id], { transaction });
    if (!created) throw new ConflictError(`work request ${id} was retried at the same time by someone else`);
    return created.id;
  });
  return getWorkRequest(db, retry);
}

/** Sets a pending or blocked request's priority adjustment (Debusine's `manage-work-request`). */
export async function setPriorityAdjustment(db: Database, id: string, adjustment: number): Promise<WorkRequestView> {
  checkIds([id]);
  const value = parseInput(z.object({ priorityAdjustment: PRIORITY }), { priorityAdjustment: adjustment }, 'work request');
  await db.sequelize.transaction(async (transaction) => {
    const [row] = await lockRequests(db, [id], transaction);
    if (row!.status !== 'pending' && row!.status !== 'blocked') {
      throw new ConflictError(`work request ${id} is ${row!.status}: only a waiting request's priority can change`);
    }
    await db.sequelize.query(`update work_requests set priority_adjustment = $2::integer where id = $1::bigint`, {
      bind: [id, value.priorityAdjustment],
      transaction,
    });
  });
  return getWorkRequest(db, id);
}

function checkIds(ids: string[]): void {
  if (!ids.length) throw ValidationError.single('work request', 'ids', 'give at least one work request number');
  const issues = ids.flatMap((id, i) =>
    ID.test(id) ? [] : [{ field: ids.length === 1 ? 'id' : `ids[${i}]`, message: 'must be a work request number' }],
  );
  if (issues.length) throw new ValidationError('work request', issues);
}

/** Locks the requests (in id order), or throws NotFoundError naming those that do not exist. */
async function lockRequests(db: Database, ids: string[], transaction: Transaction) {
  const rows = await db.sequelize.query<{ id: string; status: string; result: string; superseded_by: string | null }>(
    `select r.id::text, r.status, r.result,
            (select n.id::text from work_requests n where n.supersedes_id = r.id) as superseded_by
       from work_requests r where r.id = any($1::bigint[]) order by r.id for update`,
    { bind: [ids], type: QueryTypes.SELECT, transaction },
  );
  const missing = ids.filter((id) => !rows.some((r) => r.id === String(BigInt(id))));
  if (missing.length) throw new NotFoundError('work request', missing.join(', '), 'see `buildfleet work-request list`');
  return ids.map((id) => rows.find((r) => r.id === String(BigInt(id)))!);
}
