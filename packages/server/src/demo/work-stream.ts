import { type Database } from '@buildfleet/models';
import { createWorkRequest } from '@buildfleet/scheduler';
import { type Logger } from 'pino';
import { DEMO_SCOPES } from './seed';

/**
 * Synthetic work in waves: a burst of requests every `periodMs`, then quiet, so that the fleet
 * visibly grows for the burst and shrinks when the idle limit passes.
 */
export class WorkStream {
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: { periodMs: number; burst: number },
  ) {}

  start(): void {
    const tickMs = 2000;
    const quietAfter = Math.max(1, Math.floor(this.options.periodMs / tickMs / 3));
    this.timer = setInterval(() => {
      const phase = this.ticks++ % Math.max(1, Math.floor(this.options.periodMs / tickMs));
      if (phase >= quietAfter) return;
      void this.emit(Math.ceil(this.options.burst / quietAfter)).catch((error: unknown) =>
        this.logger.warn({ err: error }, 'demo work stream could not queue work'),
      );
    }, tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async emit(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await createWorkRequest(this.db, {
        scope: DEMO_SCOPES[Math.random() < 0.75 ? 0 : 1],
        taskName: 'noop',
        priorityBase: Math.random() < 0.2 ? 5 : 0,
      });
    }
    this.logger.info({ queued: count }, 'demo: queued synthetic noop work requests');
  }
}
