import { CONNECTED_WORKERS_SQL, REPORTED_NAMESPACES } from '@buildfleet/models';

const WILDCARDS = `array[${REPORTED_NAMESPACES.map((ns) => `'${ns}:*'`).join(', ')}]::text[]`;

/**
 * The one SQL condition deciding whether something with tag array `tags` and numeric tag
 * object `numeric` satisfies a requirement set row `rs` (columns `tags text[]`,
 * `minimums jsonb`). Workers and pools are matched with it alike: a required tag is met by
 * the tag itself or by `<namespace>:*`, which only pools carry (see `poolCapabilities`); a
 * minimum is met by a numeric tag at least as large, never by a missing one. Plain
 * containment decides most pairs; the per-tag check runs only for holders of wildcards.
 */
export function satisfiesSql(tags: string, numeric: string, rs: string): string {
  return `((${tags} @> ${rs}.tags
    or (${tags} && ${WILDCARDS}
        and not exists (select 1 from unnest(${rs}.tags) as required(tag)
                         where not (${tags} && array[required.tag, split_part(required.tag, ':', 1) || ':*']))))
   and (${rs}.minimums = '{}'::jsonb
    or not exists (select 1 from jsonb_each(${rs}.minimums) as minimum(name, value)
                    where coalesce((${numeric} ->> minimum.name)::numeric, -1) < (minimum.value #>> '{}')::numeric)))`;
}

/**
 * Whether the worker `w` may be given work at all (Debusine's rule): its token is enabled, or it
 * is the Celery worker, which runs Server tasks inside the server and has no token.
 */
export const WORKER_ENABLED = `(w.worker_type = 'celery' or exists (select 1 from tokens t where t.id = w.token_id and t.enabled))`;

/**
 * Whether the worker `w` may be given new work as far as the provisioner is concerned: it is not
 * draining (`draining_since`, set when its pool's budget is spent), so it finishes what it runs
 * and was already given, then goes idle and is terminated. Every assigning path checks it: the
 * bulk pass's free workers and the per-worker claim (get-next-for-worker, per-event dispatch).
 */
export const WORKER_NOT_DRAINING = `(w.draining_since is null)`;

/**
 * SQL: the workers a dispatch pass may give work now (connected, enabled or the Celery worker,
 * not draining, fewer pending and running requests than their `concurrency`), with their id,
 * pool, tags, numeric tags, `connected_since` and `free_slots`; when `among` (an SQL array of
 * ids) is given, only those workers, and only their requests and sessions are counted. The pass's snapshot
 * and its recount after locking the workers it plans for both read it.
 */
export function freeWorkersSql(among?: string): string {
  return `select w.id, w.worker_pool_id, w.tags, w.numeric_tags, c.connected_since,
            w.concurrency - coalesce(a.active, 0)::int as free_slots
       from workers w
       join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id${among ? ` and c.worker_id = any(${among})` : ''}
       left join (select worker_id, count(*) as active from work_requests
                   where status in ('pending', 'running') and ${among ? `worker_id = any(${among})` : 'worker_id is not null'}
                   group by worker_id) a
         on a.worker_id = w.id
      where ${among ? `w.id = any(${among}) and ` : ''}${WORKER_ENABLED} and ${WORKER_NOT_DRAINING} and w.concurrency > coalesce(a.active, 0)`;
}

/** A worker's effective tags: its own (reported and admin) plus those its pool gives it. */
export const WORKER_TAGS = `(w.tags || coalesce(p.worker_tags, '{}'))`;
/** A worker's effective numeric tags: its pool's nominal sizes, overridden by what it reports. */
export const WORKER_NUMERIC = `(coalesce(p.numeric_tags, '{}') || w.numeric_tags)`;

/**
 * Whether pool `p` serves scope `scopeId`: it is instance-wide, or the scope links it. Stated
 * once for the bulk pass, unmet demand (through `scopePoolOrderSql`) and get-next-for-worker.
 */
export function poolServesScopeSql(scopeId: string): string {
  return `(p.instance_wide
           or exists (select 1 from scope_worker_pools link where link.worker_pool_id = p.id and link.scope_id = ${scopeId}))`;
}

/** Whether the worker `w` in pool `p` (null for static workers) may serve scope `scopeId`. */
export function servesScopeSql(scopeId: string): string {
  return `(w.worker_pool_id is null or ${poolServesScopeSql(scopeId)})`;
}
