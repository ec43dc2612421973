import { type DummyCloud } from '@buildfleet/cloud-drivers';
import { type Database } from '@buildfleet/models';
import { DatabaseDummyCloud } from '@buildfleet/provisioner';
import { type Logger } from 'pino';
import { seedDemo } from './seed';
import { SimulatedFleet } from './simulated-fleet';
import { WorkStream } from './work-stream';

export { bootstrapFromUserData } from './user-data';
export { DEMO_POOL, DEMO_SCOPES, seedDemo } from './seed';
export { SIMULATED_METADATA, SimulatedWorker } from './simulated-worker';
export { SimulatedFleet, type SimulatedFleetOptions } from './simulated-fleet';

export interface DemoOptions {
  db: Database;
  apiUrl: string;
  logger: Logger;
  /** (Default: 5) */
  bootDelaySeconds?: number;
  /** Time between bursts of synthetic work. (Default: 60000) */
  periodMs?: number;
  /** Requests per burst. (Default: 12) */
  burst?: number;
  /** The pretend cloud the dummy pool launches into. (Default: the database's, which the provisioner uses) */
  cloud?: DummyCloud;
}

/**
 * `serve --demo`: seeds a dummy pool, queues waves of synthetic work, and plays the dummy
 * instances' workers over the real worker protocol, so the whole loop runs without a cloud.
 */
export async function startDemo(options: DemoOptions): Promise<{ stop(): void }> {
  const bootDelaySeconds = options.bootDelaySeconds ?? 5;
  await seedDemo(options.db, { bootDelaySeconds });
  const fleet = new SimulatedFleet({
    cloud: options.cloud ?? new DatabaseDummyCloud(options.db),
    apiUrl: options.apiUrl,
    bootDelayMs: bootDelaySeconds * 1000,
    duration: () => 4000 + Math.random() * 8000,
    logger: options.logger,
  });
  const stream = new WorkStream(options.db, options.logger, {
    periodMs: options.periodMs ?? 60_000,
    burst: options.burst ?? 12,
  });
  fleet.start();
  stream.start();
  options.logger.info('demo: seeded a dummy pool; synthetic work arrives in waves');
  return {
    stop: () => {
      stream.stop();
      fleet.stop();
    },
  };
}
