import { type Database } from '@buildfleet/models';
import { planDispatch } from './plan-dispatch';
import { assignRequests } from './sql/assignRequests';
import { readDispatchSnapshot } from './sql/readDispatchSnapshot';

export interface DispatchResult {
  assignments: { workRequestId: string; workerId: string; workerName: string }[];
  /** Pending requests left unassigned: no free worker can take them now. */
  unassigned: number;
}

/**
 * One bulk scheduling pass: reads the queue and the free workers (locking those workers),
 * plans in memory, and writes every assignment in one statement, all in one transaction.
 * Safe to run from several processes at once.
 */
export async function runDispatchPass(db: Database): Promise<DispatchResult> {
  return db.sequelize.transaction(async (transaction) => {
    const snapshot = await readDispatchSnapshot(db, { transaction, lock: true });
    const plan = planDispatch(snapshot);
    const assignments = await assignRequests(db, plan.assignments, transaction);
    return { assignments, unassigned: snapshot.requests.length - assignments.length };
  });
}
