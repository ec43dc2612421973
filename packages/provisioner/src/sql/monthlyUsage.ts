import { type Database, ownValue } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';

/** The first instant of `now`'s calendar month in UTC. */
export function startOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export interface MonthlyUsage {
  /** The first instant of the month counted (UTC). */
  monthStart: Date;
  /** Instance seconds per pool: terminated instances' runtime inside the month, plus every live instance since launch. */
  pools: Record<string, number>;
  /** Task seconds per pool and scope: completed tasks inside the month, plus running ones since start. */
  scopes: Record<string, Record<string, number>>;
}

/**
 * Usage this calendar month (UTC) as `target_max_seconds_per_month` counts it. A statistics
 * row is clipped to the month (its runtime, but no more than from the month's start to its
 * timestamp); a live instance counts from launch (booting or disconnected too) and running work
 * from start, each from the month's start at the earliest.
 */
export async function readMonthlyUsage(db: Database, { now, transaction }: { now: Date; transaction?: Transaction }): Promise<MonthlyUsage> {
  const monthStart = startOfMonth(now);
  const pools = await db.sequelize.query<{ pool: string; seconds: number }>(
    `select p.name as pool,
            coalesce((select sum(least(s.runtime, extract(epoch from s.timestamp - $1::timestamptz)))
                        from worker_pool_statistics s
                       where s.worker_pool_id = p.id and s.timestamp >= $1::timestamptz), 0)
          + coalesce((select sum(greatest(0, extract(epoch from $2::timestamptz - greatest(w.instance_created_at, $1::timestamptz))))
                        from workers w
                       where w.worker_pool_id = p.id and w.instance_created_at is not null), 0) as seconds
       from worker_pools p`,
    { bind: [monthStart, now], type: QueryTypes.SELECT, transaction },
  );
  const scopes = await db.sequelize.query<{ pool: string; scope: string; seconds: number }>(
    `with used as (
       select worker_pool_id, scope_id, least(runtime, extract(epoch from timestamp - $1::timestamptz)) as seconds
         from worker_pool_task_execution_statistics
        where timestamp >= $1::timestamptz
       union all
       select w.worker_pool_id, r.scope_id, greatest(0, extract(epoch from $2::timestamptz - greatest(r.started_at, $1::timestamptz)))
         from work_requests r join workers w on w.id = r.worker_id
        where r.status = 'running' and w.worker_pool_id is not null
     )
     select p.name as pool, s.name as scope, sum(u.seconds) as seconds
       from used u join worker_pools p on p.id = u.worker_pool_id join scopes s on s.id = u.scope_id
      group by p.name, s.name`,
    { bind: [monthStart, now], type: QueryTypes.SELECT, transaction },
  );
  const usage: MonthlyUsage = { monthStart, pools: {}, scopes: {} };
  for (const row of pools) usage.pools[row.pool] = Number(row.seconds);
  for (const row of scopes) {
    const perScope = ownValue(usage.scopes, row.pool) ?? (usage.scopes[row.pool] = {});
    perScope[row.scope] = Number(row.seconds);
  }
  return usage;
}
