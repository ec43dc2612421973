import {
  dummySpecificationSchema,
  poolCapabilities,
  scopeWorkerPoolLimitsSchema,
  type ScopeWorkerPoolLimits,
  workerPoolLimitsSchema,
  type WorkerPoolLimits,
} from '@buildfleet/models';
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

/** Completes a scenario; throws an Error naming the field when it is inconsistent. */
export function resolveScenario(scenario: Scenario): { pools: Map<string, ResolvedPool>; scopes: Map<string, ResolvedScope> } {
  const pools = new Map<string, ResolvedPool>();
  for (const [index, pool] of scenario.pools.entries()) {
    if (pools.has(pool.name)) throw new Error(`pools[${index}].name: "${pool.name}" is given twice`);
    const limits = workerPoolLimitsSchema.safeParse(pool.limits ?? {});
    if (!limits.success) throw new Error(`pools[${index}].limits: ${limits.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    const caps = poolCapabilities({ tags: pool.tags, architectures: pool.architectures, specifications: SIMULATED_SPECIFICATION });
    pools.set(pool.name, { ...pool, limits: limits.data, capabilityTags: new Set(caps.capabilityTags), numericTags: caps.numericTags });
  }
  const scopes = new Map<string, ResolvedScope>();
  for (const [index, scope] of scenario.scopes.entries()) {
    const limits = new Map<string, ScopeWorkerPoolLimits>();
    for (const [i, link] of scope.pools.entries()) {
      if (!pools.has(link.pool)) throw new Error(`scopes[${index}].pools[${i}].pool: no pool "${link.pool}" in the scenario`);
      const parsed = scopeWorkerPoolLimitsSchema.safeParse(link.limits ?? {});
      if (!parsed.success) throw new Error(`scopes[${index}].pools[${i}].limits: ${parsed.error.issues.map((e) => `${e.path.join('.')} ${e.message}`).join('; ')}`);
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
