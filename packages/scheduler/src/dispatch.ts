import { type Database, retryingConflictOnce } from '@buildfleet/models';
import { planDispatch } from './plan-dispatch';
import { assignRequests } from './sql/assignRequests';
import { closeUnconfigurable } from './sql/closeUnconfigurable';
import { lockWaitingRequests } from './sql/lockWaitingRequests';
import { readDispatchSnapshot } from './sql/readDispatchSnapshot';

export interface DispatchResult {
  assignments: { workRequestId: string; workerId: string; workerName: string }[];
  /** How many pending requests the pass left unassigned: no free worker can take them now (see describeUnmetDemand). */
  unassigned: number;
}

/**
 * One bulk scheduling pass: reads the free workers (locking them) and the head of the queue,
 * plans in memory, locks the planned requests reading their task data, closes those whose task
 * data no longer validates (`closeUnconfigurable`), and writes every other assignment in one
 * statement, all in one transaction.
 * Safe to run from several processes at once: rows are locked in a stable order, skipping
 * those held by others; a deadlock or serialization failure that still happens runs the pass
 * once more.
 */
export async function runDispatchPass(db: Database): Promise<DispatchResult> {
  return retryingConflictOnce(() =>
    db.sequelize.transaction(async (transaction) => {
      // Sorts stay in memory, not on disk. Its statements read tens of thousands of rows once
      // each: compiling them (JIT) cost more than it saved.
      await db.sequelize.query(`set local work_mem = '64MB'; set local jit = off`, { transaction });
      const snapshot = await readDispatchSnapshot(db, { transaction, lock: true });
      const plan = planDispatch(snapshot);
      const locked = await lockWaitingRequests(db, plan.assignments.map((a) => a.workRequestId), transaction);
      const closed = await closeUnconfigurable(db, locked, transaction);
      const assignable = new Set(locked.filter((r) => !closed.has(r.id)).map((r) => r.id));
      const assignments = await assignRequests(db, plan.assignments.filter((a) => assignable.has(a.workRequestId)), transaction);
      // A request planned here but claimed by a concurrent pass is that pass's business now.
      return { assignments, unassigned: snapshot.pending - plan.assignments.length };
    }),
  );
}
