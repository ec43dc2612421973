import { type Migration } from './types';

/**
 * What each provisioning tick saw of each pool, for the pool pages' charts of the last day: the
 * pending work the pool could serve, its live instances and its instance seconds this month.
 * One row per pool and tick; the key makes a repeated insert of the same tick a no-op. Samples
 * go with their pool (a deleted pool has no page), and the tick prunes old ones.
 */
export const poolSamples: Migration = {
  name: '0012-pool-samples',
  up: `
create table worker_pool_samples (
  worker_pool_id bigint not null references worker_pools on delete cascade,
  sampled_at timestamptz not null,
  pending integer not null check (pending >= 0),
  live_instances integer not null check (live_instances >= 0),
  seconds_this_month double precision not null check (seconds_this_month >= 0),
  primary key (worker_pool_id, sampled_at)
);
`,
  down: `
drop table worker_pool_samples;
`,
};
