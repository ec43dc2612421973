import {
  awsAccountSchema,
  hetznerAccountSchema,
  parseInput,
  type ProviderCredentials,
  type ProviderType,
  specificationSchemas,
  ValidationError,
  type WorkerPoolSpecification,
} from '@buildfleet/models';
import { AwsDriver, type DriverLogger } from './aws/driver';
import { type CloudDriver } from './driver';
import { type DummyCloud, DummyDriver } from './dummy';
import { ProviderError } from './errors';
import { HetznerDriver } from './hetzner/driver';
import { redactingDriver } from './redactingDriver';
import { type RetryOptions } from './retry';

/** A provider account with its credentials, which the caller read with `readProviderCredentials`. */
export interface DriverAccountOf<P extends ProviderType> {
  name: string;
  providerType: P;
  /** The account's public configuration as stored (`region_name`, `ec2_endpoint_url`, `api_url`…). */
  configuration: Record<string, unknown>;
  credentials: ProviderCredentials<P>;
}

export type DriverAccount = { [P in ProviderType]: DriverAccountOf<P> }[ProviderType];

export interface DriverPool {
  name: string;
  specifications: WorkerPoolSpecification;
}

export interface CreateDriverOptions {
  /** (Default: DEFAULT_RETRY) */
  retry?: RetryOptions;
  /** Launches in flight at once. (Default: the driver's) */
  parallelism?: number;
  logger?: DriverLogger;
  /** Where the dummy provider's instances live; needed for dummy pools. */
  dummyCloud?: DummyCloud;
  /** The dummy provider's clock: its instances' creation times and boot delay. (Default: () => new Date()) */
  now?: () => Date;
}

type Factory<P extends ProviderType> = (
  account: DriverAccountOf<P>,
  specification: Extract<WorkerPoolSpecification, { provider_type: P }>,
  installationId: string,
  options: CreateDriverOptions,
) => CloudDriver;

const subject = (account: { name: string }) => `provider account "${account.name}"`;

const factories = {
  aws: (account, specification, installationId, options) => {
    const configuration = parseInput(awsAccountSchema.shape.configuration, account.configuration, subject(account), 'configuration');
    return new AwsDriver({
      region: configuration.region_name ?? '',
      ...(configuration.ec2_endpoint_url !== undefined ? { endpoint: configuration.ec2_endpoint_url } : {}),
      credentials: account.credentials,
      installationId,
      specification,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  },
  hetzner: (account, specification, installationId, options) => {
    const configuration = parseInput(hetznerAccountSchema.shape.configuration, account.configuration, subject(account), 'configuration');
    return new HetznerDriver({
      ...(configuration.api_url !== undefined ? { apiUrl: configuration.api_url } : {}),
      credentials: account.credentials,
      installationId,
      specification,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
    });
  },
  dummy: (account, specification, installationId, options) => {
    if (!options.dummyCloud) throw new ProviderError('invalid', `${subject(account)} is a dummy account, but no pretend cloud (dummyCloud) was given`);
    return new DummyDriver({
      installationId,
      cloud: options.dummyCloud,
      bootDelayMs: specification.boot_delay_seconds * 1000,
      failureRate: specification.failure_rate,
      ...(options.now ? { now: options.now } : {}),
    });
  },
} satisfies { [P in ProviderType]: Factory<P> };

/**
 * The driver for a pool of an account. Checks that account and pool are of the same provider and
 * re-parses the pool specification (applying defaults); bad input is a ProviderError `invalid`
 * naming the field. Drivers never touch the database: the caller passes credentials it read.
 * The driver comes wrapped by `redactingDriver`, so its errors never carry those credentials.
 */
export function createDriver(
  account: DriverAccount,
  pool: DriverPool,
  installationId: string,
  options: CreateDriverOptions = {},
): CloudDriver {
  if (account.providerType !== pool.specifications.provider_type) {
    throw new ProviderError(
      'invalid',
      `pool "${pool.name}" has a ${pool.specifications.provider_type} specification but account "${account.name}" is ${account.providerType}`,
    );
  }
  const where = [`worker pool "${pool.name}"`, 'specifications'] as const;
  return redactingDriver(
    (() => {
      try {
        switch (account.providerType) {
          case 'aws':
            return factories.aws(account, parseInput(specificationSchemas.aws, pool.specifications, ...where), installationId, options);
          case 'hetzner':
            return factories.hetzner(account, parseInput(specificationSchemas.hetzner, pool.specifications, ...where), installationId, options);
          case 'dummy':
            return factories.dummy(account, parseInput(specificationSchemas.dummy, pool.specifications, ...where), installationId, options);
        }
      } catch (error) {
        if (error instanceof ValidationError) throw new ProviderError('invalid', error.message);
        throw error;
      }
    })(),
    account.credentials,
  );
}
