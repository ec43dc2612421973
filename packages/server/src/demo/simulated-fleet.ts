import { type DummyCloud, type DummyInstance, OWNERSHIP_LABELS } from '@buildfleet/cloud-drivers';
import { type Logger } from 'pino';
import { SimulatedWorker } from './simulated-worker';
import { bootstrapFromUserData } from './user-data';

export interface SimulatedFleetOptions {
  cloud: DummyCloud;
  /** Where booted workers reach the API when their user data does not say. */
  apiUrl: string;
  /** How long a dummy instance takes to boot before its worker registers. */
  bootDelayMs: number;
  duration: (task: { id: number; task_name: string }) => number;
  logger: Logger;
}

/**
 * Boots the dummy cloud's instances: once an instance is older than the boot delay, a
 * simulated worker starts from its user data; when the instance is gone, its worker stops.
 */
export class SimulatedFleet {
  private readonly workers = new Map<string, SimulatedWorker>();
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private stopped = false;

  constructor(private readonly options: SimulatedFleetOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.sync(), 500);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const worker of this.workers.values()) worker.stop();
    this.workers.clear();
  }

  private async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      this.boot(await this.options.cloud.list());
    } catch (error) {
      this.options.logger.warn({ err: error }, 'simulated fleet: reading the pretend cloud failed');
    } finally {
      this.syncing = false;
    }
  }

  private boot(instances: DummyInstance[]): void {
    if (this.stopped) return;
    const { bootDelayMs, logger } = this.options;
    const now = Date.now();
    const live = new Set(instances.map((i) => i.id));
    for (const instance of instances) {
      if (this.workers.has(instance.id) || now - instance.createdAt.getTime() < bootDelayMs) continue;
      const name = instance.labels[OWNERSHIP_LABELS.worker] ?? instance.id;
      const bootstrap = bootstrapFromUserData(instance.userData);
      if (!bootstrap.activationToken) {
        logger.warn({ instance: instance.id }, 'simulated instance has no activation token in its user data');
        continue;
      }
      const worker = new SimulatedWorker({
        apiUrl: bootstrap.apiUrl ?? this.options.apiUrl,
        activationToken: bootstrap.activationToken,
        name,
        duration: this.options.duration,
        onEvent: (event) => logger.debug(event),
      });
      this.workers.set(instance.id, worker);
      worker.start().catch((error: unknown) => logger.warn({ worker: name, err: error }, 'simulated worker failed to start'));
    }
    for (const [id, worker] of this.workers) {
      if (!live.has(id)) {
        worker.stop();
        this.workers.delete(id);
      }
    }
  }
}
