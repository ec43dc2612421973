import { scopeWorkerPoolLimitsSchema, workerPoolLimitsSchema } from '@buildfleet/models';
import { type DemandGroup, type InstanceState, type PlanningSnapshot, type PoolState } from '../src';

/** The clock of planner tests: 2026-03-15 12:00 UTC. */
export const NOW = new Date('2026-03-15T12:00:00Z');

export const ago = (seconds: number, from: Date = NOW) => new Date(from.getTime() - seconds * 1000);

type PoolOverrides = Partial<Omit<PoolState, 'limits' | 'scopeLimits'>> & {
  name?: string;
  limits?: Partial<PoolState['limits']>;
  scopeLimits?: Record<string, Partial<PoolState['scopeLimits'][string]>>;
};

/** An enabled, healthy pool with the default limits and no instances, plus overrides. */
export function testPool(overrides: PoolOverrides = {}): PoolState {
  const { limits, scopeLimits, ...rest } = overrides;
  return {
    name: 'pool-a',
    enabled: true,
    ephemeral: false,
    image: null,
    health: { consecutiveFailures: 0, backoffUntil: null, lastErrorKind: null },
    usedSeconds: 0,
    scopeUsedSeconds: {},
    instances: [],
    ...rest,
    limits: workerPoolLimitsSchema.parse(limits ?? {}),
    scopeLimits: Object.fromEntries(
      Object.entries(scopeLimits ?? {}).map(([scope, l]) => [scope, scopeWorkerPoolLimitsSchema.parse(l)]),
    ),
  };
}

let instances = 0;

/** A live, connected instance started 10 minutes ago with no work, plus overrides. */
export function testInstance(overrides: Partial<InstanceState> = {}): InstanceState {
  instances++;
  return {
    worker: `pool-a-${String(instances).padStart(3, '0')}`,
    instanceId: `i-${instances}`,
    instanceCreatedAt: ago(600),
    connectedAt: ago(500),
    image: null,
    replaces: null,
    activeRequests: 0,
    completedRequests: 0,
    lastCompletedAt: null,
    ...overrides,
  };
}

/** Pending work of scope `debian` in requirement set 1, servable by pool-a, plus overrides. */
export function pendingDemand(overrides: Partial<DemandGroup> = {}): DemandGroup {
  return {
    scope: 'debian',
    requirementSetId: '1',
    requirementSet: 'task:sbuild worker-type:external',
    pending: 1,
    maxPriority: 0,
    oldestCreatedAt: ago(120),
    pools: ['pool-a'],
    ...overrides,
  };
}

export function snapshot(parts: Partial<PlanningSnapshot> = {}): PlanningSnapshot {
  return { demand: [], pools: [testPool()], medianTaskSeconds: {}, ...parts };
}
