import { type Database } from '@buildfleet/models';
import { MAX_AUTOMATIC_RETRIES } from '@buildfleet/worker-api';
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
 * Stops the workers' rows once their instances are gone, in one statement: tokens disabled,
 * `instance_created_at` and `worker_pool_data` cleared, the instance's runtime written to
 * worker_pool_statistics, pending work given back to the queue, and running work aborted as a
 * worker failure (its elapsed time charged to its scope) and retried by a new request that
 * supersedes it with retry_count + 1, unless it already had MAX_AUTOMATIC_RETRIES retries.
 * Rows already stopped are skipped, so a repeat does nothing.
 */
export async function releaseWorkers(db: Database, releases: Release[], { now }: { now: Date }): Promise<ReleaseResult> {
  if (!releases.length) return { stopped: [], requeued: [], aborted: [], retries: [] };
  return db.sequelize.transaction(async (transaction) => {
    const [row] = await db.sequelize.query<{
      stopped_ids: string[] | null;
      stopped: string[] | null;
      requeued: string[] | null;
      aborted: string[] | null;
      retries: { id: string; supersedes: string }[] | null;
    }>(
      `with wanted as (
         select * from json_to_recordset($1::json) as x(name text, charge boolean, why text)
       ), target as (
         select w.id, w.worker_pool_id, w.instance_created_at, w.token_id, w.activation_token_id, wanted.charge, wanted.why
           from workers w join wanted on wanted.name = w.name
          where w.instance_created_at is not null
          for update of w
       ), disabled as (
         update tokens t set enabled = false from target where t.id in (target.token_id, target.activation_token_id)
       ), statistics as (
         insert into worker_pool_statistics (worker_pool_id, worker_id, timestamp, runtime)
         select worker_pool_id, id, $2::timestamptz,
                greatest(0, floor(extract(epoch from $2::timestamptz - instance_created_at)))::integer
           from target where charge
       ), stopped as (
         update workers w set instance_created_at = null, worker_pool_data = null, connected_at = null
           from target where w.id = target.id
         returning w.id, w.name
       ), requeued as (
         update work_requests r set worker_id = null
           from target where r.worker_id = target.id and r.status = 'pending'
         returning r.id
       ), aborted as (
         update work_requests r
            set status = 'aborted', result = 'error', completed_at = $2::timestamptz,
                output_data = r.output_data || jsonb_build_object('errors', coalesce(r.output_data -> 'errors', '[]'::jsonb)
                  || jsonb_build_array(jsonb_build_object('message', target.why, 'code', 'worker-failed')))
           from target
          where r.worker_id = target.id and r.status = 'running'
         returning r.*, target.worker_pool_id as pool_id
       ), charged as (
         insert into worker_pool_task_execution_statistics (worker_pool_id, worker_id, scope_id, timestamp, runtime)
         select pool_id, worker_id, scope_id, $2::timestamptz,
                greatest(0, floor(extract(epoch from $2::timestamptz - started_at)))::integer
           from aborted
       ), retried as (
         insert into work_requests (scope_id, task_type, task_name, task_data, priority_base, priority_adjustment,
                                    requirement_set_id, retry_count, supersedes_id, created_at)
         select scope_id, task_type, task_name, task_data, priority_base, priority_adjustment,
                requirement_set_id, retry_count + 1, id, $2::timestamptz
           from aborted
          where retry_count < $3::integer
         returning id, supersedes_id
       )
       select (select array_agg(id) from stopped) as stopped_ids, (select array_agg(name) from stopped) as stopped,
              (select array_agg(id) from requeued) as requeued,
              (select array_agg(id) from aborted) as aborted,
              (select json_agg(json_build_object('id', id::text, 'supersedes', supersedes_id::text)) from retried) as retries`,
      {
        bind: [
          JSON.stringify(releases.map((r) => ({ name: r.worker, charge: r.charge, why: r.why }))),
          now,
          MAX_AUTOMATIC_RETRIES,
        ],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const result = {
      stopped: row?.stopped ?? [],
      requeued: row?.requeued ?? [],
      aborted: row?.aborted ?? [],
      retries: row?.retries ?? [],
    };
    await notifySessionsClosed(db, row?.stopped_ids ?? [], transaction);
    return result;
  });
}
