import { type Database } from '@buildfleet/models';
import { abortWorkRequests } from '@buildfleet/scheduler';
import { QueryTypes } from 'sequelize';
import { notifySessionsClosed } from './notify';

export interface Release {
  worker: string;
  /** Write the instance's runtime to worker_pool_statistics (false when no instance ever ran). */
  charge: boolean;
  /** Why, for the aborted requests' error message. */
  why: string;
}

export interface ReleaseResult {
  /** Names of the workers stopped. */
  stopped: string[];
  /** Pending requests given back to the queue. */
  requeued: string[];
  /** Running requests aborted as a worker failure, and the retries superseding them. */
  aborted: string[];
  retries: { id: string; supersedes: string }[];
}

/**
 * Stops the workers' rows once their instances are gone, in one transaction: tokens disabled,
 * `instance_created_at` and `worker_pool_data` cleared, the instance's runtime written to
 * worker_pool_statistics and pending work given back to the queue; then their running work is
 * aborted as a worker failure and retried, by the scheduler's one rule for it (abortWorkRequests).
 * Rows already stopped are skipped, so a repeat does nothing.
 */
export async function releaseWorkers(db: Database, releases: Release[], { now }: { now: Date }): Promise<ReleaseResult> {
  if (!releases.length) return { stopped: [], requeued: [], aborted: [], retries: [] };
  return db.sequelize.transaction(async (transaction) => {
    const [row] = await db.sequelize.query<{
      stopped_ids: string[] | null;
      stopped: string[] | null;
      requeued: string[] | null;
      targets: { id: string; why: string }[] | null;
    }>(
      `with wanted as (
         select * from json_to_recordset($1::json) as x(name text, charge boolean, why text)
       ), target as (
         select w.id, w.worker_pool_id, w.instance_created_at, w.token_id, w.activation_token_id, wanted.charge, wanted.why
           from workers w join wanted on wanted.name = w.name
          where w.instance_created_at is not null
          order by w.id for update of w
       ), disabled as (
         update tokens t set enabled = false from target where t.id in (target.token_id, target.activation_token_id)
       ), statistics as (
         insert into worker_pool_statistics (worker_pool_id, worker_id, timestamp, runtime)
         select worker_pool_id, id, $2::timestamptz,
                greatest(0, floor(extract(epoch from $2::timestamptz - instance_created_at)))::integer
           from target where charge
       ), stopped as (
         update workers w set instance_created_at = null, worker_pool_data = null, draining_since = null, draining_reason = null
           from target where w.id = target.id
         returning w.id, w.name
       ), requeued as (
         update work_requests r set worker_id = null
           from target where r.worker_id = target.id and r.status = 'pending'
         returning r.id
       )
       select (select array_agg(id) from stopped) as stopped_ids, (select array_agg(name) from stopped) as stopped,
              (select array_agg(id) from requeued) as requeued,
              (select json_agg(json_build_object('id', id::text, 'why', why)) from target) as targets`,
      {
        bind: [
          JSON.stringify(releases.map((r) => ({ name: r.worker, charge: r.charge, why: r.why }))),
          now,
        ],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const result: ReleaseResult = { stopped: row?.stopped ?? [], requeued: row?.requeued ?? [], aborted: [], retries: [] };
    // Each release may give its own reason, so the running work is aborted per distinct reason.
    const byReason = new Map<string, string[]>();
    for (const { id, why } of row?.targets ?? []) byReason.set(why, [...(byReason.get(why) ?? []), id]);
    for (const [why, workerIds] of byReason) {
      const lost = await abortWorkRequests(
        db,
        { workerIds },
        { cause: 'worker-failed', reason: why, now, transaction },
      );
      result.aborted.push(...lost.aborted);
      result.retries.push(...lost.retries);
    }
    await notifySessionsClosed(db, row?.stopped_ids ?? [], transaction);
    return result;
  });
}
