import { type Database } from '@buildfleet/models';
import { freeWorkersFor } from './sql/freeWorkersFor';
import { checkAhead, settleNextForWorker } from './sql/nextForWorker';
import { waitingAmong } from './sql/waitingAmong';
import { PLACED_BY_CLAIM } from './sql/workRequested';

/**
 * How many free workers able to run a request are read for it, enough for the others placed
 * with it and a few older requests to take some first.
 */
const CANDIDATES = 2 * PLACED_BY_CLAIM;

/**
 * Places a few requests just queued (created or retried) by claims instead of a full pass: for
 * each, in queue order, the free workers able to run it (`freeWorkersFor`, dispatch's order) are
 * settled one at a time (`settleNextForWorker`, which gives a worker the best request it can run
 * in queue order, so an older request waiting for the same worker still goes first, and
 * announces it) until one takes it. Claims from several processes at once stay correct: each
 * settle locks its worker and skips requests another holds.
 *
 * `passWanted` when the claims could not decide: more than PLACED_BY_CLAIM requests, or one that
 * free workers can run, still waiting, but the first CANDIDATES of them settled did not take. A request no free
 * worker can run is not a pass's business either: it waits for a worker's own settle (a
 * completion, a new worker's metadata) or the interval's pass.
 */
export async function placeWorkRequests(db: Database, ids: string[]): Promise<{ placed: string[]; passWanted: boolean }> {
  if (ids.length > PLACED_BY_CLAIM) return { placed: [], passWanted: true };
  if (!ids.length) return { placed: [], passWanted: false };
  const placed = new Set<string>();
  /** Requests another claim took (or holds) while these were placed: no pass is wanted for them. */
  const taken = new Set<string>();
  const settled = new Set<string>();
  let passWanted = false;
  const requests = await freeWorkersFor(db, ids, CANDIDATES);
  // Checked here, a new request is claimed in one settle statement instead of two.
  checkAhead(requests);
  for (const { requestId, workerIds } of requests) {
    for (const workerId of workerIds) {
      if (placed.has(requestId) || taken.has(requestId)) break;
      // A worker settled once already has its next request, or nothing it could take.
      if (settled.has(workerId)) continue;
      settled.add(workerId);
      const waiting = await settleNextForWorker(db, workerId);
      if (waiting && ids.includes(waiting)) placed.add(waiting);
      // A worker able to run them that took nothing: it is no longer free, or they no longer
      // wait (a completing worker's settle took them), which one cheap read tells.
      if (!waiting) {
        const still = await waitingAmong(db, ids);
        for (const id of ids) if (!still.has(id) && !placed.has(id)) taken.add(id);
      }
    }
    if (!placed.has(requestId) && !taken.has(requestId) && workerIds.length) passWanted = true;
  }
  return { placed: [...placed], passWanted };
}
