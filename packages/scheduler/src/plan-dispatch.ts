import { type DispatchSnapshot, groupKey } from './sql/readDispatchSnapshot';

export interface Assignment {
  workRequestId: string;
  workerId: string;
}

/**
 * Greedy assignment, pure: each request in queue order goes to the most preferred candidate
 * of its group that still has a free slot. A worker that runs out of slots stays out for the
 * rest of the pass, so each group keeps a cursor and the pass is linear in requests plus
 * candidates, not their product.
 */
export function planDispatch(snapshot: DispatchSnapshot): { assignments: Assignment[]; unassigned: string[] } {
  const slots = new Map(snapshot.freeSlots);
  const cursors = new Map<string, number>();
  const assignments: Assignment[] = [];
  const unassigned: string[] = [];
  for (const request of snapshot.requests) {
    const key = groupKey(request.requirementSetId, request.scopeId);
    const candidates = snapshot.candidates.get(key) ?? [];
    let cursor = cursors.get(key) ?? 0;
    while (cursor < candidates.length && !slots.get(candidates[cursor]!)) cursor++;
    cursors.set(key, cursor);
    const workerId = candidates[cursor];
    if (workerId === undefined) {
      unassigned.push(request.id);
      continue;
    }
    slots.set(workerId, slots.get(workerId)! - 1);
    assignments.push({ workRequestId: request.id, workerId });
  }
  return { assignments, unassigned };
}
