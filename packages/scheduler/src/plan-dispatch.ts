import { type DispatchSnapshot } from './sql/readDispatchSnapshot';

export interface Assignment {
  workRequestId: string;
  workerId: string;
}

/**
 * Greedy assignment, pure: each request in queue order goes to the most preferred worker
 * that can run it and still has a free slot — the scope's pools in order, and within a pool
 * the earliest connected worker. A worker out of slots stays out for the rest of the pass, so
 * each (requirement set, scope) group keeps a cursor over its candidates, and the pass costs
 * requests plus candidates, not their product. Each candidate list (one set's workers in one
 * pool, shared by the scopes using the pool) marks the workers found out of slots, so the
 * other groups walking it skip them without looking their slots up.
 */
export function planDispatch(snapshot: DispatchSnapshot): { assignments: Assignment[] } {
  const slots = new Map(snapshot.freeSlots);
  const spent = new Map<string[], Uint8Array>();
  // One cursor per (requirement set, scope) group, found without building a key per request:
  // its place in the scope's pool order, and in that pool's candidate list.
  const groups = new Map<string, Map<string, Cursor>>();
  const assignments: Assignment[] = [];
  for (const request of snapshot.requests) {
    let byScope = groups.get(request.requirementSetId);
    if (!byScope) groups.set(request.requirementSetId, (byScope = new Map()));
    let group = byScope.get(request.scopeId);
    if (!group) {
      const byPool = snapshot.eligible.get(request.requirementSetId);
      const pools = byPool ? (snapshot.poolOrder.get(request.scopeId) ?? []) : [];
      byScope.set(request.scopeId, (group = { byPool, pools, pool: -1, candidates: NONE, spent: NO_SPENT, index: 0 }));
    }
    let workerId: string | undefined;
    for (;;) {
      const { candidates, spent: out } = group;
      let index = group.index;
      while (index < candidates.length) {
        if (!out[index]) {
          if (slots.get(candidates[index]!)) break;
          out[index] = 1;
        }
        index++;
      }
      group.index = index;
      if (index < candidates.length) {
        workerId = candidates[index];
        break;
      }
      // This pool's candidates are out of slots: on to the scope's next pool with any.
      if (++group.pool >= group.pools.length) break;
      group.candidates = group.byPool!.get(group.pools[group.pool]!) ?? NONE;
      group.index = 0;
      let marks = spent.get(group.candidates);
      if (!marks) spent.set(group.candidates, (marks = new Uint8Array(group.candidates.length)));
      group.spent = marks;
    }
    if (workerId === undefined) continue;
    slots.set(workerId, slots.get(workerId)! - 1);
    assignments.push({ workRequestId: request.id, workerId });
  }
  return { assignments };
}

const NONE: string[] = [];
const NO_SPENT = new Uint8Array(0);

/** Where one (requirement set, scope) group stands: a pool of the scope's order, a place in its candidates. */
interface Cursor {
  byPool: Map<string, string[]> | undefined;
  pools: readonly string[];
  pool: number;
  candidates: string[];
  /** Per candidate, 1 once found out of slots (shared by every group walking the same list). */
  spent: Uint8Array;
  index: number;
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
