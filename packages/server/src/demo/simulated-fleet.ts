import { type DummyCloud, OWNERSHIP_LABELS } from '@buildfleet/cloud-drivers';
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

  constructor(private readonly options: SimulatedFleetOptions) {}

  start(): void {
    this.timer = setInterval(() => this.sync(), 500);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const worker of this.workers.values()) worker.stop();
    this.workers.clear();
  }

  private sync(): void {
    const { cloud, bootDelayMs, logger } = this.options;
    const now = Date.now();
    for (const instance of cloud.instances.values()) {
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
      if (!cloud.instances.has(id)) {
        worker.stop();
        this.workers.delete(id);
      }
    }
  }
}
