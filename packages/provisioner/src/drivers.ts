import { type CloudDriver, createDriver, type DriverAccount, redactingDriver } from '@buildfleet/cloud-drivers';
import { type Database, readProviderCredentials } from '@buildfleet/models';
import { type PoolForDriver, type TickOptions } from './interfaces';
import { DatabaseDummyCloud } from './sql/dummyInstances';

/** Launch requests in flight at once per pool unless told otherwise: 50 launches take two rounds. (25) */
export const DEFAULT_LAUNCH_PARALLELISM = 25;

/**
 * Builds each pool's driver once per tick, reading its account's credentials through
 * `readProviderCredentials` (the only read of credentials) and handing them to the driver only.
 * Every driver's errors pass through `redactingDriver`, which knows those credentials, before
 * they become decisions, pool health, events or CLI output.
 */
export class Drivers {
  private readonly cache = new Map<string, Promise<CloudDriver>>();

  constructor(
    private readonly db: Database,
    private readonly installationId: string,
    private readonly options: Pick<TickOptions, 'driverFor' | 'driverOptions' | 'retry' | 'launchParallelism' | 'now'>,
  ) {}

  for(pool: PoolForDriver): Promise<CloudDriver> {
    let driver = this.cache.get(pool.name);
    if (!driver) {
      driver = this.build(pool);
      this.cache.set(pool.name, driver);
    }
    return driver;
  }

  private async build(pool: PoolForDriver): Promise<CloudDriver> {
    const credentials = await readProviderCredentials(this.db, pool.accountId, pool.providerType);
    // createDriver's drivers come redacting already; an injected one is wrapped the same way.
    if (this.options.driverFor) return redactingDriver(this.options.driverFor(pool, credentials), credentials);
    const account = {
      name: pool.accountName,
      providerType: pool.providerType,
      configuration: pool.configuration,
      credentials,
    } as DriverAccount;
    return createDriver(account, { name: pool.name, specifications: pool.specifications }, this.installationId, {
      parallelism: this.options.launchParallelism ?? DEFAULT_LAUNCH_PARALLELISM,
      ...(this.options.retry ? { retry: this.options.retry } : {}),
      dummyCloud: new DatabaseDummyCloud(this.db),
      // The dummy provider runs on the caller's clock, so a replay's instances are created at its instants.
      ...(this.options.now ? { now: this.options.now } : {}),
      ...this.options.driverOptions,
    });
  }
}
