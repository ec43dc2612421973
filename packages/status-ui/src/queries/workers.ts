import { connectedSinceSql, type Database, type WorkerType } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { type Order } from '../listing';

/** A worker's state, first that applies (as Debusine shows it, plus `stopped` for pool workers without instance). */
export const WORKER_STATUSES = ['stopped', 'disabled', 'disconnected', 'running', 'idle'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

export const WORKER_ORDER_COLUMNS = ['name', 'type', 'pool', 'last_seen'] as const;
export type WorkerOrderColumn = (typeof WORKER_ORDER_COLUMNS)[number];

/** The status of worker `w` with token `t`; one definition for lists, detail pages and metrics. */
export const WORKER_STATUS_SQL = `
  case
    when w.worker_pool_id is not null and w.instance_created_at is null then 'stopped'
    when t.enabled is not true then 'disabled'
    when ${connectedSinceSql('w.id')} is null then 'disconnected'
    when exists (select 1 from work_requests r where r.worker_id = w.id and r.status = 'running') then 'running'
    else 'idle'
  end`;

/** Ids of the running work requests of worker `w`, oldest first. */
export const RUNNING_IDS_SQL = `
  coalesce((select array_agg(r.id order by r.id) from work_requests r
             where r.worker_id = w.id and r.status = 'running'), '{}')`;

/** Sort fragments built here only; never text from a request. A worker without pool or never seen sorts first. */
const ORDER_SQL: Record<WorkerOrderColumn, [ascending: string, descending: string]> = {
  name: ['w.name', 'w.name desc'],
  type: ['w.worker_type, w.name', 'w.worker_type desc, w.name desc'],
  pool: ['p.name nulls first, w.name', 'p.name desc nulls last, w.name desc'],
  last_seen: ['t.last_seen_at nulls first, w.name', 't.last_seen_at desc nulls last, w.name desc'],
};

/** The rows a worker table shows, with binds $1 to $5 (see `listBinds`). */
const LISTED_SQL = `
    from workers w
    left join worker_pools p on p.id = w.worker_pool_id
    left join tokens t on t.id = w.token_id
   where w.worker_type <> 'celery'
     and ($1::boolean or w.worker_pool_id is null or w.instance_created_at is not null)
     and ($2::text is null or strpos(lower(w.name), lower($2::text)) > 0)
     and (not $3::boolean or ($4::text is null and w.worker_pool_id is null) or p.name = $4::text)
     and ($5::text is null or ${WORKER_STATUS_SQL} = $5::text)`;

export interface WorkerListFilter {
  /** Substring of the name, case-insensitive. */
  name?: string;
  /** A pool name, or null for static workers only. */
  pool?: string | null;
  status?: WorkerStatus;
  /** Show pool workers that have no instance (the pool page); /workers/ hides them. */
  includeStopped: boolean;
}

function listBinds(filter: WorkerListFilter): unknown[] {
  return [filter.includeStopped, filter.name ?? null, filter.pool !== undefined, filter.pool ?? null, filter.status ?? null];
}

export interface WorkerListRow {
  name: string;
  type: WorkerType;
  pool: string | null;
  lastSeenAt: string | null;
  status: WorkerStatus;
  runningWorkRequests: string[];
}

/**
 * One page of workers: filters, sort and limit in SQL, the running work requests of the page's
 * rows only, and the count of all matching rows beside it. Two statements however many workers;
 * a separate count lets the page itself stop early on an index.
 */
export async function queryWorkerList(
  db: Database,
  filter: WorkerListFilter,
  order: Order<WorkerOrderColumn>,
  limit: number,
  offset: number,
): Promise<{ rows: WorkerListRow[]; total: number }> {
  const binds = listBinds(filter);
  const [rows, count] = await Promise.all([
    db.sequelize.query<{
      name: string;
      worker_type: WorkerType;
      pool: string | null;
      last_seen_at: Date | null;
      status: WorkerStatus;
      running: string[];
    }>(
      `select w.name, w.worker_type, p.name as pool, t.last_seen_at, ${WORKER_STATUS_SQL} as status,
              ${RUNNING_IDS_SQL} as running
       ${LISTED_SQL}
        order by ${ORDER_SQL[order.column][order.descending ? 1 : 0]}
        limit $6::int offset $7::int`,
      { bind: [...binds, limit, offset], type: QueryTypes.SELECT },
    ),
    db.sequelize.query<{ total: number }>(`select count(*)::int as total ${LISTED_SQL}`, {
      bind: binds,
      type: QueryTypes.SELECT,
    }),
  ]);
  return {
    total: count[0]?.total ?? 0,
    rows: rows.map((r) => ({
      name: r.name,
      type: r.worker_type,
      pool: r.pool,
      lastSeenAt: r.last_seen_at?.toISOString() ?? null,
      status: r.status,
      runningWorkRequests: r.running.map(String),
    })),
  };
}

/** Pools that have a worker on /workers/, and whether static workers exist: the pool filter's choices. */
export async function queryWorkerPoolChoices(db: Database): Promise<{ pools: string[]; hasStatic: boolean }> {
  const [row] = await db.sequelize.query<{ pools: string[]; has_static: boolean }>(
    `select coalesce((select array_agg(p.name order by p.name) from worker_pools p
                       where exists (select 1 from workers w
                                      where w.worker_pool_id = p.id and w.instance_created_at is not null
                                        and w.worker_type <> 'celery')), '{}') as pools,
            exists (select 1 from workers w where w.worker_pool_id is null and w.worker_type <> 'celery') as has_static`,
    { type: QueryTypes.SELECT },
  );
  return { pools: row?.pools ?? [], hasStatic: row?.has_static ?? false };
}
