import { type Database } from '@buildfleet/models';
import { Gauge, Registry } from 'prom-client';
import { QueryTypes } from 'sequelize';
import { queryPoolSummaries } from './queries/pools';
import { queryQueue } from './queries/queue';
import { WORKER_STATUS_SQL } from './queries/workers';
import { type MonthlyUsageHook } from './types';

/** The label value for workers without a pool. */
export const STATIC_POOL_LABEL = '_none';

/**
 * A Registry of its own (never prom-client's global one), read from the database at each
 * scrape: a handful of aggregate queries, however many workers there are.
 */
export function createMetricsRegistry(db: Database, now: () => Date, monthlyUsage?: MonthlyUsageHook): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'buildfleet_workers',
    help: 'Worker rows by pool (_none for static workers) and state (stopped, disabled, disconnected, running, idle)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows = await db.sequelize.query<{ pool: string | null; state: string; count: number }>(
        `select p.name as pool, ${WORKER_STATUS_SQL} as state, count(*)::int as count
           from workers w
           left join worker_pools p on p.id = w.worker_pool_id
           left join tokens t on t.id = w.token_id
          where w.worker_type <> 'celery'
          group by 1, 2`,
        { type: QueryTypes.SELECT },
      );
      this.reset();
      for (const r of rows) this.set({ pool: r.pool ?? STATIC_POOL_LABEL, state: r.state }, r.count);
    },
  });
  const poolSummaries = async () =>
    (await queryPoolSummaries(db, { usage: monthlyUsage ? (await monthlyUsage(now())).pools : null })).rows;
  new Gauge({
    name: 'buildfleet_worker_pool_instances',
    help: 'Live instances (workers with instance_created_at set) per worker pool',
    labelNames: ['pool'] as const,
    registers: [registry],
    async collect() {
      const pools = await poolSummaries();
      this.reset();
      for (const pool of pools) this.set({ pool: pool.name }, pool.instances);
    },
  });
  new Gauge({
    name: 'buildfleet_worker_pool_seconds_this_month',
    help: 'Instance seconds used this UTC month per worker pool (terminated instances clipped to the month, plus live ones)',
    labelNames: ['pool'] as const,
    registers: [registry],
    async collect() {
      const pools = await poolSummaries();
      this.reset();
      for (const pool of pools) if (pool.secondsThisMonth !== null) this.set({ pool: pool.name }, pool.secondsThisMonth);
    },
  });
  new Gauge({
    name: 'buildfleet_work_requests_pending',
    help: 'Pending work requests by scope and requirement set',
    labelNames: ['scope', 'requirements'] as const,
    registers: [registry],
    async collect() {
      const rows = await queryQueue(db);
      this.reset();
      for (const r of rows) if (r.pending) this.set({ scope: r.scope, requirements: r.requirements }, r.pending);
    },
  });
  return registry;
}
