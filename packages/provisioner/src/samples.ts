import { type PlanningSnapshot } from './interfaces';

/** What one tick saw of one pool, for the status pages' charts. */
export interface PoolSample {
  pool: string;
  /** Pending work requests no connected worker can take now, in demand groups this pool can serve. */
  pending: number;
  /** Live instances (booting, connected or disconnected). */
  liveInstances: number;
  /** Instance seconds this calendar month (UTC), as its `target_max_seconds_per_month` counts them. */
  secondsThisMonth: number;
}

/**
 * One sample per pool from a tick's snapshot. A request that several pools could serve counts
 * in each of them: the chart shows the queue the pool could take, not a share of it.
 */
export function poolSamples(snapshot: PlanningSnapshot): PoolSample[] {
  const pending = new Map<string, number>();
  for (const group of snapshot.demand) {
    for (const pool of new Set(group.pools)) pending.set(pool, (pending.get(pool) ?? 0) + group.pending);
  }
  return snapshot.pools.map((pool) => ({
    pool: pool.name,
    pending: pending.get(pool.name) ?? 0,
    liveInstances: pool.instances.length,
    secondsThisMonth: pool.usedSeconds,
  }));
}
