import { type Logger } from './interfaces';

/** Work started after a response was sent (scheduling passes); failures are logged, close() waits for it. */
export class Background {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  run(what: string, work: () => Promise<unknown>): void {
    const task: Promise<void> = work()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.logger.error(`worker-api: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  async settle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
