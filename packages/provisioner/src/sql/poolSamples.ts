import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { type PoolSample } from '../samples';

/** Samples older than this are deleted as each tick records its own: a day is charted, a week kept. (8 days) */
export const POOL_SAMPLE_RETENTION_SECONDS = 8 * 24 * 3600;

/**
 * Writes a tick's samples, one row per pool at `at`, in one statement that also deletes those
 * pools' samples older than the retention (through the (pool, time) key, so a tick deletes about
 * one row per pool). A pool deleted since the snapshot is left out; a second write of the same
 * pool and instant changes nothing. Returns how many rows were written.
 */
export async function recordPoolSamples(
  db: Database,
  samples: PoolSample[],
  { at, retentionSeconds = POOL_SAMPLE_RETENTION_SECONDS }: { at: Date; retentionSeconds?: number },
): Promise<number> {
  if (!samples.length) return 0;
  const [row] = await db.sequelize.query<{ recorded: number }>(
    `with sampled as (
       select p.id, s.pending, s.live_instances, s.seconds_this_month
         from unnest($1::text[], $2::integer[], $3::integer[], $4::double precision[])
              as s(pool, pending, live_instances, seconds_this_month)
         join worker_pools p on p.name = s.pool
     ), pruned as (
       delete from worker_pool_samples
        where worker_pool_id in (select id from sampled) and sampled_at < $5::timestamptz - $6::integer * interval '1 second'
     ), inserted as (
       insert into worker_pool_samples (worker_pool_id, sampled_at, pending, live_instances, seconds_this_month)
       select id, $5::timestamptz, pending, live_instances, seconds_this_month from sampled
       on conflict (worker_pool_id, sampled_at) do nothing
       returning 1
     )
     select count(*)::int as recorded from inserted`,
    {
      bind: [
        samples.map((s) => s.pool),
        samples.map((s) => s.pending),
        samples.map((s) => s.liveInstances),
        samples.map((s) => s.secondsThisMonth),
        at,
        retentionSeconds,
      ],
      type: QueryTypes.SELECT,
    },
  );
  return row!.recorded;
}
