import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { RECENT_STARTS_SECONDS } from '../interfaces';

/**
 * Work requests started on each pool's instances in the `RECENT_STARTS_SECONDS` before `now`
 * (`PoolState.recentStarts`): the running ones by their start, the finished ones by their task
 * execution row (its timestamp less its runtime), which completion and lost-worker aborts write
 * alike. Pools without any are absent.
 */
export async function readRecentStarts(db: Database, { now, transaction }: { now: Date; transaction?: Transaction }): Promise<Record<string, number>> {
  const rows = await db.sequelize.query<{ pool: string; starts: number }>(
    `with since as (select $1::timestamptz - $2::integer * interval '1 second' as at),
     started as (
       select s.worker_pool_id
         from worker_pool_task_execution_statistics s, since
        where s.timestamp > since.at and s.timestamp <= $1::timestamptz
          and s.timestamp - s.runtime * interval '1 second' > since.at
       union all
       select w.worker_pool_id
         from work_requests r join workers w on w.id = r.worker_id, since
        where r.status = 'running' and w.worker_pool_id is not null and r.started_at > since.at and r.started_at <= $1::timestamptz
     )
     select p.name as pool, count(*)::int as starts
       from started s join worker_pools p on p.id = s.worker_pool_id
      group by p.name`,
    { bind: [now, RECENT_STARTS_SECONDS], type: QueryTypes.SELECT, transaction },
  );
  return Object.fromEntries(rows.map((r) => [r.pool, Number(r.starts)]));
}
