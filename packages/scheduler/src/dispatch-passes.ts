import { type Database } from '@buildfleet/models';
import { type DispatchResult, runDispatchPass } from './dispatch';

/**
 * The full dispatch passes of one process: at most one in flight, and any number of requests
 * made while one runs coalesced into a single pass right after it. Callers ask on an interval
 * and when the queue or the fleet changes in bulk; one worker's change is settled by
 * `settleNextForWorker` instead. Passes of several processes may overlap: each locks its own
 * workers and skips requests another holds.
 */
export class DispatchPasses {
  private current: Promise<DispatchResult> | undefined;
  private next: Promise<DispatchResult> | undefined;

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

  private start(): Promise<DispatchResult> {
    const pass = runDispatchPass(this.db).finally(() => {
      if (this.current === pass) this.current = undefined;
    });
    this.current = pass;
    return pass;
  }
}
