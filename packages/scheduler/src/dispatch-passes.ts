import { type Database } from '@buildfleet/models';
import { type DispatchResult, runDispatchPass } from './dispatch';
import { placeWorkRequests } from './place-work-requests';

/**
 * The dispatch of one process beyond a single worker's settle (`settleNextForWorker`): full
 * passes, at most one in flight, any number asked for while one runs coalesced into a single
 * pass right after it; and placements of requests just queued (`placeWorkRequests`), at most
 * one in flight, the ids queued meanwhile placed together right after it, so concurrent
 * placements do not queue on the same first free workers. Callers ask for passes on an
 * interval and when the queue or the fleet changes in bulk. Passes and placements of several
 * processes may overlap: each locks its own workers and skips requests another holds.
 */
export class DispatchPasses {
  private current: Promise<DispatchResult> | undefined;
  private next: Promise<DispatchResult> | undefined;
  private placing: Promise<void> | undefined;
  private toPlace: string[] = [];

  constructor(private readonly db: Database) {}

  /** A pass that starts after this call: now if none runs, else the one queued after the current. */
  request(): Promise<DispatchResult> {
    if (!this.current) return this.start();
    this.next ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  /**
   * Places the requests `ids` just queued by claims, with those queued while a placement runs,
   * and runs a full pass when the claims cannot decide (more than PLACED_BY_CLAIM at once, or
   * free workers that took other requests). Resolves once they are placed or the pass ran.
   */
  place(ids: string[]): Promise<void> {
    this.toPlace.push(...ids);
    this.placing ??= this.placeQueued().finally(() => {
      this.placing = undefined;
    });
    return this.placing;
  }

  private async placeQueued(): Promise<void> {
    while (this.toPlace.length) {
      const ids = [...new Set(this.toPlace)];
      this.toPlace = [];
      if ((await placeWorkRequests(this.db, ids)).passWanted) await this.request();
    }
  }

  private start(): Promise<DispatchResult> {
    const pass = runDispatchPass(this.db).finally(() => {
      if (this.current === pass) this.current = undefined;
    });
    this.current = pass;
    return pass;
  }
}
