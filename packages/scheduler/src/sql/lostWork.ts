import { connectedSinceSql, type Database, disconnectedSinceSql } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { abortWorkRequests, type AbortResult } from './abortWorkRequests';

/** How long a worker may stay disconnected with work running before the work counts as lost. (600 s) */
export const DEFAULT_LOST_WORK_SECONDS = 600;

/**
 * The lost-work pass: work still running on a worker that has been disconnected for more than
 * `lostAfterSeconds` (no process holds a session lease on it), or whose token is disabled, is
 * aborted as `worker-failed` and retried by abortWorkRequests, with the reason in its errors.
 * Safe to run in every replica at once: the abort locks and re-checks each request.
 */
export async function abortLostWork(
  db: Database,
  { lostAfterSeconds = DEFAULT_LOST_WORK_SECONDS }: { lostAfterSeconds?: number } = {},
): Promise<AbortResult> {
  const lost = await db.sequelize.query<{ worker_id: string; disabled: boolean }>(
    `select distinct w.id as worker_id, not coalesce(t.enabled, false) as disabled
       from work_requests r
       join workers w on w.id = r.worker_id
       left join tokens t on t.id = w.token_id
      where r.status = 'running'
        and (not coalesce(t.enabled, false)
             or (${connectedSinceSql('w.id')} is null
                 and coalesce(${disconnectedSinceSql('w.id')}, '-infinity') < now() - $1::integer * interval '1 second'))`,
    { bind: [lostAfterSeconds], type: QueryTypes.SELECT },
  );
  const result: AbortResult = { aborted: [], retries: [] };
  const groups: [string[], string][] = [
    [lost.filter((w) => w.disabled).map((w) => w.worker_id), "The worker's token was disabled while this request ran on it"],
    [
      lost.filter((w) => !w.disabled).map((w) => w.worker_id),
      `The worker was disconnected for more than ${lostAfterSeconds} s while this request ran on it`,
    ],
  ];
  for (const [workerIds, reason] of groups) {
    const { aborted, retries } = await abortWorkRequests(db, { workerIds }, { cause: 'worker-failed', reason });
    result.aborted.push(...aborted);
    result.retries.push(...retries);
  }
  return result;
}

export interface LostWorkView {
  id: string;
  scope: string;
  taskName: string;
  worker: string | null;
  abortedAt: string;
  reason: string;
  /** The request that retries it, or null when its retries were used up. */
  retriedAs: string | null;
}

/** The most recent requests aborted because their worker was lost, newest first, with why. */
export async function listLostWork(db: Database, { limit = 20 }: { limit?: number } = {}): Promise<LostWorkView[]> {
  const rows = await db.sequelize.query<{
    id: string;
    scope: string;
    task_name: string;
    worker: string | null;
    completed_at: Date;
    reason: string | null;
    retried_as: string | null;
  }>(
    `select r.id::text, s.name as scope, r.task_name, w.name as worker, r.completed_at,
            (select e ->> 'message' from jsonb_array_elements(r.output_data -> 'errors') with ordinality as x(e, i)
              where e ->> 'code' = 'worker-failed' order by i desc limit 1) as reason,
            (select n.id::text from work_requests n where n.supersedes_id = r.id) as retried_as
       from work_requests r
       join scopes s on s.id = r.scope_id
       left join workers w on w.id = r.worker_id
      where r.status = 'aborted' and r.result = 'error'
        and jsonb_path_exists(r.output_data, '$.errors[*] ? (@.code == "worker-failed")')
      order by r.completed_at desc, r.id desc
      limit $1::integer`,
    { bind: [limit], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    id: r.id,
    scope: r.scope,
    taskName: r.task_name,
    worker: r.worker,
    abortedAt: r.completed_at.toISOString(),
    reason: r.reason ?? '',
    retriedAs: r.retried_as,
  }));
}
