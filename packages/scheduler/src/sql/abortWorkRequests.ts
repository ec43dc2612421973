import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { supersedeWorkRequests } from './supersedeWorkRequests';

/** Debusine's MAX_AUTOMATIC_RETRIES: how often a request whose worker failed is retried on its own. */
export const MAX_AUTOMATIC_RETRIES = 3;

/**
 * Why requests are aborted: `worker-failed` when their worker is gone (lost, disabled, deleted,
 * its instance terminated), and retried on their own; `aborted` when an admin asked.
 */
export type AbortCause = 'worker-failed' | 'aborted';

export interface AbortSelection {
  /** Requests by id: those still pending, blocked or running are aborted. */
  workRequestIds?: string[];
  /** Workers whose running requests are aborted (their pending ones are left to the caller). */
  workerIds?: string[];
}

export interface AbortOptions {
  cause: AbortCause;
  /** Recorded in the request's `errors`, after any it already has. */
  reason: string;
  /** When it happened (default: the database's now). */
  now?: Date;
  transaction?: Transaction;
}

export interface AbortResult {
  aborted: string[];
  /** The new requests superseding aborted ones (automatic retries of `worker-failed` only). */
  retries: { id: string; supersedes: string }[];
}

/**
 * The one rule for ending work that will not complete normally, in one transaction. Each selected
 * request becomes `aborted` (result `error` when its worker failed), its reason appended to its
 * `errors`, and, when it ran on a pool's worker, its elapsed time charged to its scope (the
 * machine was paid for). A `worker-failed` request is then retried by a pending copy that
 * supersedes it with retry_count + 1, unless it already had MAX_AUTOMATIC_RETRIES retries.
 * Requests already completed or aborted are left alone, so a repeat does nothing.
 */
export async function abortWorkRequests(db: Database, selection: AbortSelection, options: AbortOptions): Promise<AbortResult> {
  const ids = selection.workRequestIds ?? [];
  const workerIds = selection.workerIds ?? [];
  if (!ids.length && !workerIds.length) return { aborted: [], retries: [] };
  const run = async (transaction: Transaction): Promise<AbortResult> => {
    const aborted = await db.sequelize.query<{ id: string; retry_count: number }>(
      `with target as (
         select r.id from work_requests r
          where (r.id = any($1::bigint[]) and r.status in ('pending', 'blocked', 'running'))
             or (r.worker_id = any($2::bigint[]) and r.status = 'running')
          order by r.id
            for update
       ), aborted as (
         update work_requests r
            set status = 'aborted', completed_at = coalesce($5::timestamptz, now()),
                result = case when $3::text = 'worker-failed' then 'error' else r.result end,
                output_data = r.output_data || jsonb_build_object('errors', coalesce(r.output_data -> 'errors', '[]'::jsonb)
                  || jsonb_build_array(jsonb_build_object('message', $4::text, 'code', $3::text)))
           from target
          where r.id = target.id
         returning r.*
       ), charged as (
         insert into worker_pool_task_execution_statistics (worker_pool_id, worker_id, scope_id, timestamp, runtime)
         select w.worker_pool_id, w.id, a.scope_id, coalesce($5::timestamptz, now()),
                greatest(0, floor(extract(epoch from coalesce($5::timestamptz, now()) - a.started_at)))::integer
           from aborted a join workers w on w.id = a.worker_id
          where w.worker_pool_id is not null and a.started_at is not null
       )
       select id::text, retry_count from aborted order by id`,
      {
        bind: [ids, workerIds, options.cause, options.reason, options.now ?? null],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const retryable = options.cause === 'worker-failed' ? aborted.filter((r) => r.retry_count < MAX_AUTOMATIC_RETRIES) : [];
    const retries = await supersedeWorkRequests(db, retryable.map((r) => r.id), { now: options.now, transaction });
    return { aborted: aborted.map((r) => r.id), retries };
  };
  return options.transaction ? run(options.transaction) : db.sequelize.transaction(run);
}
