import { type Database, type TaskType } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';

export interface LockedRequest {
  id: string;
  task_type: TaskType;
  task_name: string;
  task_data: Record<string, unknown>;
}

/**
 * Locks the given requests that still wait (pending, unassigned) for this transaction, in id
 * order, skipping any another transaction holds, so concurrent passes and claims never wait on
 * each other in a cycle; returns them with their task data, which the pass checks before
 * assigning (`closeUnconfigurable`). A skipped request stays in the queue for the next pass.
 */
export async function lockWaitingRequests(db: Database, workRequestIds: readonly string[], transaction: Transaction): Promise<LockedRequest[]> {
  if (!workRequestIds.length) return [];
  return db.sequelize.query<LockedRequest>(
    `select r.id, r.task_type, r.task_name, r.task_data from work_requests r
      where r.id = any($1::bigint[]) and r.status = 'pending' and r.worker_id is null
      order by r.id for no key update skip locked`,
    { bind: [workRequestIds], type: QueryTypes.SELECT, transaction },
  );
}
