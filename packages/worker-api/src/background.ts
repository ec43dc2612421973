import { type Database } from '@buildfleet/models';
import { type DispatchPasses, settleNextForWorker } from '@buildfleet/scheduler';
import { type Logger } from './interfaces';

/** Work started after a response was sent (scheduling); failures are logged, close() waits for it. */
export class Background {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly db: Database,
    private readonly passes: DispatchPasses,
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

  /** One worker's state changed: settle its next request only, and announce it. */
  dispatchFor(workerId: string, why: string): void {
    this.run(`scheduling after ${why}`, () => settleNextForWorker(this.db, workerId));
  }

  async settle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
