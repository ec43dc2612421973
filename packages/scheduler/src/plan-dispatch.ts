import { type DispatchSnapshot, type QueuedRequest } from './sql/readDispatchSnapshot';

export interface Assignment {
  workRequestId: string;
  workerId: string;
}

/**
 * Greedy assignment, pure: each request in queue order goes to the most preferred worker
 * that can run it and still has a free slot — the scope's pools in order, and within a pool
 * the earliest connected worker. A worker out of slots stays out for the rest of the pass, so
 * each (requirement set, scope) group keeps a cursor over its candidates, and the pass costs
 * requests plus candidates, not their product.
 */
export function planDispatch(snapshot: DispatchSnapshot): { assignments: Assignment[]; unassigned: QueuedRequest[] } {
  const slots = new Map(snapshot.freeSlots);
  const cursors = new Map<string, { pool: number; index: number }>();
  const assignments: Assignment[] = [];
  const unassigned: QueuedRequest[] = [];
  for (const request of snapshot.requests) {
    const key = `${request.requirementSetId}:${request.scopeId}`;
    const byPool = snapshot.eligible.get(request.requirementSetId);
    const pools = snapshot.poolOrder.get(request.scopeId) ?? [];
    const cursor = cursors.get(key) ?? { pool: 0, index: 0 };
    cursors.set(key, cursor);
    let workerId: string | undefined;
    while (byPool && cursor.pool < pools.length) {
      const candidates = byPool.get(pools[cursor.pool]!) ?? [];
      if (cursor.index >= candidates.length) {
        cursor.pool++;
        cursor.index = 0;
        continue;
      }
      const candidate = candidates[cursor.index]!;
      if (slots.get(candidate)) {
        workerId = candidate;
        break;
      }
      cursor.index++;
    }
    if (workerId === undefined) {
      unassigned.push(request);
      continue;
    }
    slots.set(workerId, slots.get(workerId)! - 1);
    assignments.push({ workRequestId: request.id, workerId });
  }
  return { assignments, unassigned };
}
