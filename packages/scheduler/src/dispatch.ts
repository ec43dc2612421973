import { type Database, retryingConflictOnce } from '@buildfleet/models';
import { assignRequests } from './sql/assignRequests';
import { closeUnconfigurable } from './sql/closeUnconfigurable';
import { lockPlannedWorkers } from './sql/lockPlannedWorkers';
import { lockWaitingRequests } from './sql/lockWaitingRequests';
import { readAndPlanDispatch } from './sql/readDispatchSnapshot';

export interface DispatchResult {
  assignments: { workRequestId: string; workerId: string; workerName: string }[];
  /** How many pending requests the pass left unassigned: no free worker can take them now (see describeUnmetDemand). */
  unassigned: number;
}

/**
 * One bulk scheduling pass: reads the free workers and the head of the queue without locking,
 * plans in memory, locks the workers it planned to give work and counts their free slots again
 * (`lockPlannedWorkers`), keeps the assignments those slots still take, locks the planned
 * requests reading their task data, closes those whose task data no longer validates
 * (`closeUnconfigurable`), and writes every other assignment in one statement, all in one
 * transaction.
 * Safe to run from several processes at once: rows are locked in a stable order, skipping
 * those held by others; a worker or request another pass or claim took first is left out here
 * (its request waits for the next pass, or the worker's next claim); a deadlock or
 * serialization failure that still happens runs the pass once more.
 */
export async function runDispatchPass(db: Database): Promise<DispatchResult> {
  return retryingConflictOnce(() =>
    db.sequelize.transaction(async (transaction) => {
      // Sorts stay in memory, not on disk. Its statements read tens of thousands of rows once
      // each: compiling them (JIT) cost more than it saved.
      await db.sequelize.query(`set local work_mem = '64MB'; set local jit = off`, { transaction });
      const { snapshot, plan } = await readAndPlanDispatch(db, { transaction });
      const slots = await lockPlannedWorkers(db, [...new Set(plan.assignments.map((a) => a.workerId))], transaction);
      const kept = plan.assignments.filter((a) => {
        const left = slots.get(a.workerId) ?? 0;
        slots.set(a.workerId, left - 1);
        return left > 0;
      });
      const locked = await lockWaitingRequests(db, kept.map((a) => a.workRequestId), transaction);
      const closed = await closeUnconfigurable(db, locked, transaction);
      const assignable = new Set(locked.filter((r) => !closed.has(r.id)).map((r) => r.id));
      const assignments = await assignRequests(db, kept.filter((a) => assignable.has(a.workRequestId)), transaction);
      // A request planned here but claimed by a concurrent pass is that pass's business now.
      return { assignments, unassigned: snapshot.pending - kept.length };
    }),
  );
}
