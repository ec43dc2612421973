import { type Logger } from 'pino';

export interface LoopOptions {
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
  logger: Logger;
}

/**
 * Runs `run` every `intervalMs`, never two at once. A failing tick is logged and the loop goes
 * on; `stop` waits for the tick in flight, so a shutdown never cuts one in half.
 */
export class Loop {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LoopOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Runs the next tick as soon as the current one (if any) ends. */
  wake(): void {
    if (this.stopped || this.inFlight) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const { name, run, logger, intervalMs } = this.options;
    this.inFlight = run().catch((error: unknown) => {
      logger.error({ loop: name, err: error }, `${name} tick failed; next try in ${intervalMs} ms`);
    });
    await this.inFlight;
    this.inFlight = undefined;
    this.schedule(intervalMs);
  }
}
