import { type Database, retryingConflictOnce } from '@buildfleet/models';
import { planDispatch } from './plan-dispatch';
import { assignRequests } from './sql/assignRequests';
import { closeUnconfigurable } from './sql/closeUnconfigurable';
import { readDispatchSnapshot } from './sql/readDispatchSnapshot';

export interface DispatchResult {
  assignments: { workRequestId: string; workerId: string; workerName: string }[];
  /** How many pending requests the pass left unassigned: no free worker can take them now (see describeUnmetDemand). */
  unassigned: number;
}

/**
 * One bulk scheduling pass: reads the free workers (locking them) and the head of the queue,
 * plans in memory, closes the planned requests whose task data no longer validates
 * (`closeUnconfigurable`), and writes every other assignment in one statement, all in one
 * transaction.
 * Safe to run from several processes at once: rows are locked in a stable order, skipping
 * those held by others; a deadlock or serialization failure that still happens runs the pass
 * once more.
 */
export async function runDispatchPass(db: Database): Promise<DispatchResult> {
  return retryingConflictOnce(() =>
    db.sequelize.transaction(async (transaction) => {
      // The pass sorts a few hundred thousand (requirement set, worker) pairs: in memory, not on disk.
      await db.sequelize.query(`set local work_mem = '64MB'`, { transaction });
      const snapshot = await readDispatchSnapshot(db, { transaction, lock: true });
      const plan = planDispatch(snapshot);
      const closed = await closeUnconfigurable(db, plan.assignments.map((a) => a.workRequestId), transaction);
      const assignments = await assignRequests(db, plan.assignments.filter((a) => !closed.has(a.workRequestId)), transaction);
      // A request planned here but claimed by a concurrent pass is that pass's business now.
      return { assignments, unassigned: snapshot.pending - plan.assignments.length };
    }),
  );
}
