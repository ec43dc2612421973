import {
  dummySpecificationSchema,
  poolCapabilities,
  ValidationError,
  scopeWorkerPoolLimitsSchema,
  type ScopeWorkerPoolLimits,
  workerPoolLimitsSchema,
  type WorkerPoolLimits,
} from '@buildfleet/models';
import { z } from 'zod';
import { type BillingModel, type Price } from './billing';

/** A pool as the replay simulates it: what it offers, what it costs, how its instances boot and fail. */
export interface ScenarioPool {
  name: string;
  billing: BillingModel;
  price: Price;
  /** Tags as `pool create --tag` takes them, numeric ones too (`cpus=4`). */
  tags: string[];
  architectures: string[];
  /** `WorkerPool.limits`; missing fields take the schema's defaults. */
  limits?: Partial<WorkerPoolLimits>;
  ephemeral?: boolean;
  enabled?: boolean;
  /** Boot time from launch to the worker connecting: log-normal around `medianSeconds`. */
  boot: { medianSeconds: number; sigma: number };
  /** Share of launches the provider refuses. (Default: 0) */
  launchFailureRate?: number;
}

export interface ScenarioScope {
  name: string;
  /**
   * The pools the scope's work may use, most preferred first: the order `scopePoolOrderSql`
   * gives its links (higher link priority first), stated here directly.
   */
  pools: { pool: string; limits?: Partial<ScopeWorkerPoolLimits> }[];
}

export interface Scenario {
  pools: ScenarioPool[];
  scopes: ScenarioScope[];
  /** Seconds between provisioning ticks, as `provision --loop --interval`. (Default: 60) */
  tickSeconds?: number;
  /** Seed of the providers' randomness (boot times, failures). (Default: 1) */
  seed?: number;
}

/** A pool with its limits completed and its capabilities derived, as the models package derives them. */
export interface ResolvedPool extends ScenarioPool {
  limits: WorkerPoolLimits;
  capabilityTags: ReadonlySet<string>;
  numericTags: Record<string, number>;
}

export interface ResolvedScope {
  name: string;
  pools: string[];
  limits: Map<string, ScopeWorkerPoolLimits>;
}

/** Sizes come from the pool's numeric tags; the specification adds none. */
const SIMULATED_SPECIFICATION = dummySpecificationSchema.parse({ provider_type: 'dummy' });

const limitsInput = z.record(z.string(), z.unknown()).optional();
const scenarioSchema = z.strictObject({
  seed: z.number().int().min(0).optional(),
  tickSeconds: z.number().int().min(1).max(3600).optional(),
  pools: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        billing: z.enum(['aws', 'hetzner']),
        price: z.strictObject({ hourly: z.number().min(0), monthlyCap: z.number().min(0).nullable().optional() }),
        tags: z.array(z.string()).default([]),
        architectures: z.array(z.string().min(1)).min(1),
        limits: limitsInput,
        ephemeral: z.boolean().optional(),
        enabled: z.boolean().optional(),
        boot: z.strictObject({ medianSeconds: z.number().min(1), sigma: z.number().min(0).max(3) }),
        launchFailureRate: z.number().min(0).max(1).optional(),
      }),
    )
    .min(1),
  scopes: z.array(z.strictObject({ name: z.string().min(1), pools: z.array(z.strictObject({ pool: z.string().min(1), limits: limitsInput })).min(1) })).min(1),
});

/** Reads a scenario (from YAML or JSON); a ValidationError names every bad field. */
export function parseScenario(input: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError('scenario', parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
  }
  const scenario = parsed.data as Scenario;
  resolveScenario(scenario);
  return scenario;
}

/** Completes a scenario; throws a ValidationError naming the field when it is inconsistent. */
export function resolveScenario(scenario: Scenario): { pools: Map<string, ResolvedPool>; scopes: Map<string, ResolvedScope> } {
  const pools = new Map<string, ResolvedPool>();
  for (const [index, pool] of scenario.pools.entries()) {
    if (pools.has(pool.name)) throw ValidationError.single('scenario', `pools.${index}.name`, `"${pool.name}" is given twice`);
    const limits = workerPoolLimitsSchema.safeParse(pool.limits ?? {});
    if (!limits.success) {
      throw new ValidationError('scenario', limits.error.issues.map((i) => ({ field: ['pools', index, 'limits', ...i.path].join('.'), message: i.message })));
    }
    const caps = poolCapabilities({ tags: pool.tags, architectures: pool.architectures, specifications: SIMULATED_SPECIFICATION });
    pools.set(pool.name, { ...pool, limits: limits.data, capabilityTags: new Set(caps.capabilityTags), numericTags: caps.numericTags });
  }
  const scopes = new Map<string, ResolvedScope>();
  for (const [index, scope] of scenario.scopes.entries()) {
    const limits = new Map<string, ScopeWorkerPoolLimits>();
    for (const [i, link] of scope.pools.entries()) {
      if (!pools.has(link.pool)) throw ValidationError.single('scenario', `scopes.${index}.pools.${i}.pool`, `no pool "${link.pool}" in the scenario`);
      const parsed = scopeWorkerPoolLimitsSchema.safeParse(link.limits ?? {});
      if (!parsed.success) {
        throw new ValidationError('scenario', parsed.error.issues.map((e) => ({ field: ['scopes', index, 'pools', i, 'limits', ...e.path].join('.'), message: e.message })));
      }
      limits.set(link.pool, parsed.data);
    }
    scopes.set(scope.name, { name: scope.name, pools: scope.pools.map((p) => p.pool), limits });
  }
  return { pools, scopes };
}

/**
 * The default scenario, sized for the generator's default month: a cheap hourly-billed
 * Hetzner pool preferred by `debian`, an EC2 pool for overflow, and an arm64 EC2 pool.
 * Prices are list prices per hour (EUR for Hetzner CX32, USD for EC2, counted alike).
 */
export function defaultScenario(): Scenario {
  return {
    seed: 1,
    tickSeconds: 60,
    pools: [
      {
        name: 'hetzner-cx32',
        billing: 'hetzner',
        price: { hourly: 0.0106, monthlyCap: 6.8 },
        tags: ['cpus=4', 'memory_gib=8'],
        architectures: ['amd64'],
        limits: { max_active_instances: 12, max_idle_seconds: 600, target_max_seconds_per_month: 25 * 86400 },
        boot: { medianSeconds: 45, sigma: 0.3 },
        launchFailureRate: 0.01,
      },
      {
        name: 'aws-c6i',
        billing: 'aws',
        price: { hourly: 0.17 },
        tags: ['cpus=4', 'memory_gib=8'],
        architectures: ['amd64'],
        limits: { max_active_instances: 20, max_idle_seconds: 300, target_max_seconds_per_month: 25 * 86400 },
        boot: { medianSeconds: 90, sigma: 0.4 },
        launchFailureRate: 0.02,
      },
      {
        name: 'aws-c7g',
        billing: 'aws',
        price: { hourly: 0.145 },
        tags: ['cpus=4', 'memory_gib=8'],
        architectures: ['arm64'],
        limits: { max_active_instances: 8, max_idle_seconds: 300, target_max_seconds_per_month: 12 * 86400 },
        boot: { medianSeconds: 90, sigma: 0.4 },
        launchFailureRate: 0.02,
      },
    ],
    scopes: [
      { name: 'debian', pools: [{ pool: 'hetzner-cx32', limits: { target_latency_seconds: 600 } }, { pool: 'aws-c6i', limits: { target_latency_seconds: 600 } }] },
      { name: 'ubuntu', pools: [{ pool: 'aws-c7g', limits: { target_latency_seconds: 900 } }] },
    ],
  };
}
