import { ValidationError } from '@buildfleet/models';
import { simulate } from './engine';
import { type Policy } from './fleet';
import { measure } from './metrics';
import { buildfleetPolicy, karpenterPolicy, staticPolicy, taskscalerPolicy } from './policies';
import { type Scenario } from './scenario';
import { type Trace } from './trace';

export const POLICY_NAMES = ['buildfleet', 'static', 'taskscaler', 'karpenter'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Each policy's settings and their defaults. */
export const POLICY_DEFAULTS: Record<PolicyName, Record<string, number>> = {
  buildfleet: {},
  static: { instances: 4 },
  taskscaler: { idle_count: 2, scale_factor: 0, idle_time: 1200 },
  karpenter: { consolidate_after: 30, batch_seconds: 10 },
};

/** The named policy with its defaults overridden by `settings`; an unknown name or setting is a ValidationError naming it. */
export function makePolicy(name: string, settings: Record<string, number> = {}): Policy {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw ValidationError.single('policy', 'policy', `"${name}" is not a policy; choose one of ${POLICY_NAMES.join(', ')}`);
  }
  const defaults = POLICY_DEFAULTS[name as PolicyName];
  const unknown = Object.keys(settings).filter((key) => !Object.hasOwn(defaults, key));
  if (unknown.length) {
    throw new ValidationError(
      'policy settings',
      unknown.map((key) => ({
        field: key,
        message: `${name} has no setting "${key}"; ${Object.keys(defaults).length ? `its settings are ${Object.keys(defaults).join(', ')}` : 'it takes none'}`,
      })),
    );
  }
  const s = { ...defaults, ...settings };
  switch (name as PolicyName) {
    case 'buildfleet':
      return buildfleetPolicy();
    case 'static':
      return staticPolicy({ instances: s.instances! });
    case 'taskscaler':
      return taskscalerPolicy({ idle_count: s.idle_count!, scale_factor: s.scale_factor!, idle_time: s.idle_time! });
    case 'karpenter':
      return karpenterPolicy({ consolidate_after: s.consolidate_after!, batch_seconds: s.batch_seconds! });
  }
}

/** The settings each policy is swept over: the knobs its users turn. */
export function sweepSettings(name: PolicyName): Policy[] {
  switch (name) {
    case 'buildfleet':
      return [buildfleetPolicy()];
    case 'static':
      return [1, 2, 4, 6, 8, 12].map((instances) => staticPolicy({ instances }));
    case 'taskscaler':
      return [0, 1, 2, 4, 8].flatMap((idle_count) =>
        [0, 0.5].flatMap((scale_factor) => [300, 900, 1800].map((idle_time) => taskscalerPolicy({ idle_count, scale_factor, idle_time }))),
      );
    case 'karpenter':
      return [0, 30, 300].map((consolidate_after) => karpenterPolicy({ consolidate_after }));
  }
}

/** One point of a policy's cost-versus-wait curve. */
export interface SweepPoint {
  policy: string;
  settings: Record<string, number>;
  cost: number;
  p95Wait: number;
  budgetOvershootPct: number;
}

/** Runs every setting of each policy on the same trace: the cost-versus-p95-wait curves. */
export function sweep(trace: Trace, scenario: Scenario, names: readonly PolicyName[], onProgress?: (done: number, total: number) => void): SweepPoint[] {
  const policies = names.flatMap(sweepSettings);
  return policies.map((policy, index) => {
    const metrics = measure(simulate(trace, scenario, policy), scenario);
    onProgress?.(index + 1, policies.length);
    return { policy: policy.name, settings: policy.settings, cost: metrics.cost, p95Wait: metrics.wait.p95, budgetOvershootPct: metrics.budgetOvershootPct };
  });
}

/**
 * The cheapest point of a curve whose p95 wait is no worse than `p95Wait`, or, when none is,
 * the point with the lowest p95 wait: what the peer costs for the same waiting.
 */
export function cheapestAtWait(points: readonly SweepPoint[], p95Wait: number): SweepPoint | undefined {
  const matching = points.filter((p) => p.p95Wait <= p95Wait).sort((a, b) => a.cost - b.cost);
  return matching[0] ?? [...points].sort((a, b) => a.p95Wait - b.p95Wait || a.cost - b.cost)[0];
}
