import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

/** What the provisioner's tick saw of a pool at one instant (its `worker_pool_samples` row). */
export interface PoolSamplePoint {
  at: string;
  /** Pending work requests this pool could serve that no connected worker could take. */
  pending: number;
  liveInstances: number;
  /** Instance seconds this UTC month, as the provisioner's budget counts them. */
  secondsThisMonth: number;
}

/** A pool's samples from `from` (excluded) to `to` (included), oldest first: one index range of the (pool, time) key. */
export async function queryPoolSamples(db: Database, pool: string, { from, to }: { from: Date; to: Date }): Promise<PoolSamplePoint[]> {
  const rows = await db.sequelize.query<{ sampled_at: Date; pending: number; live_instances: number; seconds_this_month: number }>(
    `select s.sampled_at, s.pending, s.live_instances, s.seconds_this_month
       from worker_pool_samples s join worker_pools p on p.id = s.worker_pool_id
      where p.name = $1::text and s.sampled_at > $2::timestamptz and s.sampled_at <= $3::timestamptz
      order by s.sampled_at`,
    { bind: [pool, from, to], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    at: r.sampled_at.toISOString(),
    pending: r.pending,
    liveInstances: r.live_instances,
    secondsThisMonth: r.seconds_this_month,
  }));
}
