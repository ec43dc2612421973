import { type Database } from '@buildfleet/models';
import {
  formatOrder,
  type Pagination,
  pagination,
  parseChoice,
  parseOrder,
  parsePage,
  type Query,
} from '../listing';
import {
  queryWorkerList,
  WORKER_ORDER_COLUMNS,
  WORKER_STATUSES,
  type WorkerListRow,
  type WorkerStatus,
} from '../queries/workers';

/** The query parameters of a worker table. */
export interface WorkerTableQuery {
  order: string;
  'filter-name'?: string;
  'filter-status'?: WorkerStatus;
  page: number;
}

/** A worker table as pages answer it: rows, the filters and sort it was made with, and paging. */
export interface WorkerTable {
  rows: WorkerListRow[];
  order: string;
  filters: { name: string | null; pool: string | null; status: WorkerStatus | null };
  pagination: Pagination;
}

/**
 * One page of a worker table, filtered and sorted as the query asks. `pool` fixes the pool
 * (the pool page); otherwise `filter-pool` is read (`_none` for static workers).
 */
export async function loadWorkerTable(
  db: Database,
  query: Query,
  options: { perPage: number; pool?: string; includeStopped: boolean },
): Promise<{ table: WorkerTable; query: Query }> {
  const order = parseOrder(query.order, WORKER_ORDER_COLUMNS, 'name');
  const status = parseChoice(query['filter-status'], 'filter-status', WORKER_STATUSES);
  const name = query['filter-name']?.trim() || undefined;
  const poolParam = options.pool === undefined ? query['filter-pool'] || undefined : undefined;
  const pool = options.pool ?? (poolParam === undefined ? undefined : poolParam === '_none' ? null : poolParam);
  const page = parsePage(query.page);
  const { rows, total } = await queryWorkerList(
    db,
    { name, pool, status, includeStopped: options.includeStopped },
    order,
    options.perPage,
    (page - 1) * options.perPage,
  );
  return {
    table: {
      rows,
      order: formatOrder(order),
      filters: { name: name ?? null, pool: poolParam ?? null, status: status ?? null },
      pagination: pagination(page, options.perPage, total),
    },
    query: {
      order: query.order || undefined,
      'filter-name': name,
      'filter-pool': poolParam,
      'filter-status': status,
      page: page > 1 ? String(page) : undefined,
    },
  };
}
