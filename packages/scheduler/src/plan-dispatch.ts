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
  // One cursor per (requirement set, scope) group, found without building a key per request.
  const groups = new Map<string, Map<string, { candidates: string[][]; pool: number; index: number }>>();
  const assignments: Assignment[] = [];
  const unassigned: QueuedRequest[] = [];
  for (const request of snapshot.requests) {
    let byScope = groups.get(request.requirementSetId);
    if (!byScope) groups.set(request.requirementSetId, (byScope = new Map()));
    let group = byScope.get(request.scopeId);
    if (!group) {
      const byPool = snapshot.eligible.get(request.requirementSetId);
      const pools = byPool ? (snapshot.poolOrder.get(request.scopeId) ?? []) : [];
      byScope.set(request.scopeId, (group = { candidates: pools.map((pool) => byPool!.get(pool) ?? []), pool: 0, index: 0 }));
    }
    let workerId: string | undefined;
    while (group.pool < group.candidates.length) {
      const candidates = group.candidates[group.pool]!;
      if (group.index >= candidates.length) {
        group.pool++;
        group.index = 0;
        continue;
      }
      const candidate = candidates[group.index]!;
      if (slots.get(candidate)) {
        workerId = candidate;
        break;
      }
      group.index++;
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

/**
 * How many requests at the head of one (requirement set, scope) group a pass could assign: the
 * free slots of the workers able to run the set, in the pools the scope may use. Each request
 * of the group assigned takes one of those slots, and once they are taken every later request
 * of the group finds none, so the requests behind the head need not be read. Returns the
 * function of (set, scope), counting each set's slots per pool once.
 */
export function assignableHeadSize(snapshot: Omit<DispatchSnapshot, 'requests'>): (requirementSetId: string, scopeId: string) => number {
  const slotsByPool = new Map<string, Map<string, number>>();
  for (const [setId, byPool] of snapshot.eligible) {
    const slots = new Map<string, number>();
    for (const [pool, workers] of byPool) slots.set(pool, workers.reduce((sum, id) => sum + (snapshot.freeSlots.get(id) ?? 0), 0));
    slotsByPool.set(setId, slots);
  }
  return (requirementSetId, scopeId) => {
    const slots = slotsByPool.get(requirementSetId);
    if (!slots) return 0;
    return (snapshot.poolOrder.get(scopeId) ?? []).reduce((sum, pool) => sum + (slots.get(pool) ?? 0), 0);
  };
}
