import { type Database } from '@buildfleet/models';
import { type DispatchPasses, requestedIds, settleFrom, settleNextForWorker } from '@buildfleet/scheduler';
import { type CompletionSettle } from './sql/workRequests';
import { type Logger } from './interfaces';

/** Work started after a response was sent (scheduling); failures are logged, close() waits for it. */
export class Background {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly db: Database,
    private readonly passes: DispatchPasses,
    /** Whether this process now LISTENs on WORK_REQUESTED_CHANNEL, placing what any process queues. */
    private readonly hearsWorkRequested: () => boolean,
  ) {}

  run(what: string, work: () => Promise<unknown>): void {
    const task: Promise<void> = work()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.logger.error(`worker-api: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** The queue or the fleet changed in bulk: a full pass, coalesced with any already asked for. */
  dispatchAll(why: string): void {
    this.run(`scheduling after ${why}`, () => this.passes.request());
  }

  /**
   * This process queued the requests `ids` (their creation or retry committed): placed by claims
   * (`DispatchPasses.place`), unless this process is listening on WORK_REQUESTED_CHANNEL, whose
   * notification of that commit places them (`workRequested`).
   */
  queued(ids: string[], why: string): void {
    if (!this.hearsWorkRequested()) this.place(ids, why);
  }

  /** A WORK_REQUESTED_CHANNEL notification: the requests it names placed by claims, else a full pass. */
  workRequested(payload: string): void {
    const ids = requestedIds(payload);
    if (ids.length) this.place(ids, 'new work requested');
    else this.dispatchAll('new work requested in bulk');
  }

  private place(ids: string[], why: string): void {
    this.run(`placing work after ${why}`, () => this.passes.place(ids));
  }

  /** One worker's state changed: settle its next request only, and announce it. */
  dispatchFor(workerId: string, why: string): void {
    this.run(`scheduling after ${why}`, () => settleNextForWorker(this.db, workerId));
  }

  /**
   * One worker's state changed and the statement that changed it also settled its next request
   * (`settle`, as completeWorkRequestForToken returns it): the settle goes on from there, or,
   * when it failed there, runs again by itself.
   */
  settledWith(workerId: string, settle: CompletionSettle, why: string): void {
    if ('error' in settle) {
      this.logger.warn(`worker-api: settling worker ${workerId}'s next request after ${why} failed (${settle.error}); settling it again`);
      this.dispatchFor(workerId, why);
    } else {
      this.run(`scheduling after ${why}`, () => settleFrom(this.db, workerId, settle.rows));
    }
  }

  async settle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
