import { z } from 'zod';
import { nonNegativeInt, positiveInt } from './common';

/** `WorkerPool.limits`. All fields optional; unknown fields are refused. */
export const workerPoolLimitsSchema = z.strictObject({
  /** Live instances at most (booting, connected or not). (Default: no limit) */
  max_active_instances: nonNegativeInt.nullable().default(null),
  /** Instance seconds per calendar month (UTC) the pool aims to stay under. (Default: no target) */
  target_max_seconds_per_month: nonNegativeInt.nullable().default(null),
  /** Idle seconds after which an instance is terminated. (Default: 3600) */
  max_idle_seconds: nonNegativeInt.default(3600),
  /** Replacement launches in flight at once while instances move to the pool's new image. (Default: 1) */
  max_surge: positiveInt.default(1),
});
export type WorkerPoolLimits = z.output<typeof workerPoolLimitsSchema>;

/** `ScopeWorkerPool.limits`: a scope's budget and latency target in one pool. */
export const scopeWorkerPoolLimitsSchema = z.strictObject({
  /** Task execution seconds per month for this scope in this pool. (Default: no target) */
  target_max_seconds_per_month: nonNegativeInt.nullable().default(null),
  /** How long this scope's pending work should wait at most. (Default: the planner's default) */
  target_latency_seconds: positiveInt.nullable().default(null),
});
export type ScopeWorkerPoolLimits = z.output<typeof scopeWorkerPoolLimitsSchema>;
