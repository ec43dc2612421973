import { type Database } from '@buildfleet/models';
import { type PlannedDrain } from '../interfaces';

/**
 * Starts or stops draining live workers, in one statement: a reason sets `draining_since` to
 * `now` (kept when it already drains) and `draining_reason`; null clears both. Dispatch gives a
 * draining worker no new work (the scheduler's `WORKER_NOT_DRAINING`).
 */
export async function drainWorkers(db: Database, drains: readonly PlannedDrain[], { now }: { now: Date }): Promise<void> {
  if (!drains.length) return;
  await db.sequelize.query(
    `update workers w
        set draining_since = case when d.reason is null then null else coalesce(w.draining_since, $3::timestamptz) end,
            draining_reason = case when d.reason is null then null else coalesce(w.draining_reason, d.reason) end
       from unnest($1::text[], $2::text[]) as d(name, reason)
      where w.name = d.name and w.instance_created_at is not null`,
    { bind: [drains.map((d) => d.worker), drains.map((d) => d.reason), now] },
  );
}
