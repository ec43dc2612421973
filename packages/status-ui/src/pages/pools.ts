import { NotFoundError } from '@buildfleet/models';
import { formatOrder, pagination, type Pagination, parseOrder, parsePage } from '../listing';
import {
  POOL_ORDER_COLUMNS,
  type PoolScopeLink,
  type PoolSummary,
  queryPoolScopes,
  queryPoolSummaries,
} from '../queries/pools';
import { type PoolSamplePoint, queryPoolSamples } from '../queries/samples';
import { type PageContext, type PageHandler, type PoolDecision } from '../types';
import { loadWorkerTable, type WorkerTable } from './worker-table';

export const POOLS_PER_PAGE = 20;
export const POOL_WORKERS_PER_PAGE = 30;
/** How far back a pool page charts the provisioner's samples. (24 hours) */
export const POOL_CHART_SECONDS = 24 * 3600;

export interface PoolsData {
  pools: PoolSummary[];
  order: string;
  pagination: Pagination;
}

/** The host's month-to-date usage, or nulls when it passed no `monthlyUsage` hook. */
export async function monthlyUsage(
  { monthlyUsage: hook }: PageContext,
  now: Date,
): Promise<{ monthStart: string | null; pools: Record<string, number> | null }> {
  if (!hook) return { monthStart: null, pools: null };
  const usage = await hook(now);
  return { monthStart: usage.monthStart.toISOString(), pools: usage.pools };
}

/** `/worker-pools/`, with live instances and this month's usage against the limits. */
export const poolsPage: PageHandler = async ({ query, now }, context) => {
  const order = parseOrder(query.order, POOL_ORDER_COLUMNS, 'name');
  const page = parsePage(query.page);
  const { rows, total } = await queryPoolSummaries(context.db, {
    usage: (await monthlyUsage(context, now)).pools,
    order,
    page: { limit: POOLS_PER_PAGE, offset: (page - 1) * POOLS_PER_PAGE },
  });
  const data: PoolsData = { pools: rows, order: formatOrder(order), pagination: pagination(page, POOLS_PER_PAGE, total) };
  return {
    view: 'pools',
    title: 'Worker pools',
    section: 'worker-pools',
    path: 'worker-pools/',
    query: { order: query.order || undefined, page: page > 1 ? String(page) : undefined },
    data,
  };
};

export interface PoolData {
  pool: PoolSummary;
  /** When this month's usage is counted from (UTC); null when the host passes no usage. */
  monthStart: string | null;
  scopes: PoolScopeLink[];
  /** The provisioner's latest decisions about this pool, with their reasons. */
  decisions: PoolDecision[];
  /** What each provisioning tick of the last 24 hours saw of the pool, oldest first, for the charts. */
  samples: { from: string; to: string; points: PoolSamplePoint[] };
  workers: WorkerTable;
}

/** `/worker-pools/<name>/`: public pool fields, scope links, charts of the last day, last decisions, and all its workers. */
export const poolPage: PageHandler = async ({ params, query, now }, context) => {
  const { db, poolDecisions } = context;
  const name = params.name ?? '';
  const usage = await monthlyUsage(context, now);
  const [pool] = (await queryPoolSummaries(db, { usage: usage.pools, name })).rows;
  if (!pool) throw new NotFoundError('worker pool', name);
  const from = new Date(now.getTime() - POOL_CHART_SECONDS * 1000);
  const [scopes, decisions, samples] = await Promise.all([
    queryPoolScopes(db, name),
    poolDecisions ? poolDecisions(name) : [],
    queryPoolSamples(db, name, { from, to: now }),
  ]);
  const { table, query: understood } = await loadWorkerTable(db, query, {
    perPage: POOL_WORKERS_PER_PAGE,
    pool: name,
    includeStopped: true,
  });
  const data: PoolData = {
    pool,
    monthStart: usage.monthStart,
    scopes,
    decisions: decisions.map(({ decidedAt, kind, reason, message }) => ({ decidedAt, kind, reason, message })),
    samples: { from: from.toISOString(), to: now.toISOString(), points: samples },
    workers: table,
  };
  return {
    view: 'pool',
    title: `Worker pool ${pool.name}`,
    section: 'worker-pools',
    path: `worker-pools/${encodeURIComponent(pool.name)}/`,
    query: understood,
    data,
  };
};
