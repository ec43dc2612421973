import { type Database, type WorkerType } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { type Order } from '../listing';

/** A worker's state, first that applies (domain.md §7.1, plus `stopped` for pool workers without instance). */
export const WORKER_STATUSES = ['stopped', 'disabled', 'disconnected', 'running', 'idle'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

export const WORKER_ORDER_COLUMNS = ['name', 'type', 'pool', 'last_seen'] as const;
export type WorkerOrderColumn = (typeof WORKER_ORDER_COLUMNS)[number];

/** The status of worker `w` with token `t`; one definition for lists, detail pages and metrics. */
export const WORKER_STATUS_SQL = `
  case
    when w.worker_pool_id is not null and w.instance_created_at is null then 'stopped'
    when t.enabled is not true then 'disabled'
    when w.connected_at is null then 'disconnected'
    when exists (select 1 from work_requests r where r.worker_id = w.id and r.status = 'running') then 'running'
    else 'idle'
  end`;

/** Ids of the running work requests of worker `w`, oldest first. */
export const RUNNING_IDS_SQL = `
  coalesce((select array_agg(r.id order by r.id) from work_requests r
             where r.worker_id = w.id and r.status = 'running'), '{}')`;

/** Sort fragments built here only; never text from a request. A worker without pool or never seen sorts first. */
const ORDER_SQL: Record<WorkerOrderColumn, [ascending: string, descending: string]> = {
  name: ['name', 'name desc'],
  type: ['worker_type, name', 'worker_type desc, name desc'],
  pool: ['pool nulls first, name', 'pool desc nulls last, name desc'],
  last_seen: ['last_seen_at nulls first, name', 'last_seen_at desc nulls last, name desc'],
};

export interface WorkerListFilter {
  /** Substring of the name, case-insensitive. */
  name?: string;
  /** A pool name, or null for static workers only. */
  pool?: string | null;
  status?: WorkerStatus;
  /** Show pool workers that have no instance (the pool page); /workers/ hides them. */
  includeStopped: boolean;
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
 * One page of workers in one statement: filters, count (window) and sort in SQL, and the
 * running work requests of the page's rows only.
 */
export async function queryWorkerList(
  db: Database,
  filter: WorkerListFilter,
  order: Order<WorkerOrderColumn>,
  limit: number,
  offset: number,
): Promise<{ rows: WorkerListRow[]; total: number }> {
  const orderSql = ORDER_SQL[order.column][order.descending ? 1 : 0];
  const rows = await db.sequelize.query<{
    name: string;
    worker_type: WorkerType;
    pool: string | null;
    last_seen_at: Date | null;
    status: WorkerStatus;
    running: string[];
    total: number;
  }>(
    `with listed as (
       select w.id, w.name, w.worker_type, p.name as pool, t.last_seen_at, ${WORKER_STATUS_SQL} as status
         from workers w
         left join worker_pools p on p.id = w.worker_pool_id
         left join tokens t on t.id = w.token_id
        where w.worker_type <> 'celery'
          and ($1::boolean or w.worker_pool_id is null or w.instance_created_at is not null)
          and ($2::text is null or strpos(lower(w.name), lower($2::text)) > 0)
          and (not $3::boolean or ($4::text is null and w.worker_pool_id is null) or p.name = $4::text)
     ),
     page as (
       select listed.*, count(*) over ()::int as total
         from listed
        where $5::text is null or status = $5::text
        order by ${orderSql}
        limit $6::int offset $7::int
     )
     select w.name, w.worker_type, w.pool, w.last_seen_at, w.status, w.total, ${RUNNING_IDS_SQL} as running
       from page w
      order by ${orderSql}`,
    {
      bind: [
        filter.includeStopped,
        filter.name ?? null,
        filter.pool !== undefined,
        filter.pool ?? null,
        filter.status ?? null,
        limit,
        offset,
      ],
      type: QueryTypes.SELECT,
    },
  );
  const total = rows[0]?.total ?? (offset > 0 ? await countWorkers(db, filter) : 0);
  return {
    total,
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

/** The total for a page past the end, where the window count has no row to ride on. */
async function countWorkers(db: Database, filter: WorkerListFilter): Promise<number> {
  return (await queryWorkerList(db, filter, { column: 'name', descending: false }, 1, 0)).total;
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
