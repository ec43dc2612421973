import { formatTags, isOutdatedImage, NotFoundError } from '@buildfleet/models';
import { pagination, type Pagination, parsePage } from '../listing';
import { type PoolSummary, queryPoolSummaries } from '../queries/pools';
import { queryServedWorkRequests, queryWorker, type ServedWorkRequest, type WorkerDetailRow } from '../queries/worker';
import { queryWorkerPoolChoices } from '../queries/workers';
import { type PageHandler } from '../types';
import { monthlyUsage } from './pools';
import { loadWorkerTable, type WorkerTable } from './worker-table';

export const WORKERS_PER_PAGE = 50;
export const SERVED_PER_PAGE = 10;

export interface WorkersData extends WorkerTable {
  /** Choices of the pool filter: pools that have a listed worker. */
  poolChoices: string[];
  hasStaticWorkers: boolean;
}

/** `/workers/`: every worker except stopped pool workers (blueprint: hide inactive dynamic workers). */
export const workersPage: PageHandler = async ({ query }, { db }) => {
  const { table, query: understood } = await loadWorkerTable(db, query, {
    perPage: WORKERS_PER_PAGE,
    includeStopped: false,
  });
  const choices = await queryWorkerPoolChoices(db);
  const data: WorkersData = { ...table, poolChoices: choices.pools, hasStaticWorkers: choices.hasStatic };
  return { view: 'workers', title: 'Workers', section: 'workers', path: 'workers/', query: understood, data };
};

export interface WorkerData {
  /** The worker's public fields; `tags` are its plain tags then `name=value` numeric tags. */
  worker: Omit<WorkerDetailRow, 'numericTags' | 'privateFields'>;
  /** The worker's pool, public fields only (never its provider account). */
  pool: PoolSummary | null;
  /** Its live instance runs another image than its pool launches now. */
  imageOutdated: boolean;
  /** Authenticated viewers only: static over dynamic metadata, and provider state. */
  metadata?: Record<string, unknown>;
  dynamicMetadataUpdatedAt?: string | null;
  workerPoolData?: Record<string, unknown> | null;
  workRequests: ServedWorkRequest[];
  pagination: Pagination;
}

/** `/workers/<name>/`: any worker, stopped pool workers included. */
export const workerPage: PageHandler = async ({ params, query, viewer, now }, context) => {
  const { db } = context;
  const name = params.name ?? '';
  const page = parsePage(query.page);
  const worker = await queryWorker(db, name, viewer.authenticated);
  if (!worker) throw new NotFoundError('worker', name);
  const pool = worker.pool
    ? (await queryPoolSummaries(db, { usage: (await monthlyUsage(context, now)).pools, name: worker.pool })).rows[0]
    : undefined;
  const served = await queryServedWorkRequests(db, name, SERVED_PER_PAGE, (page - 1) * SERVED_PER_PAGE);
  const { privateFields, tags, numericTags, ...shown } = worker;
  const data: WorkerData = {
    worker: { ...shown, tags: formatTags({ plain: tags, numeric: numericTags }) },
    pool: pool ?? null,
    imageOutdated: worker.instanceCreatedAt !== null && isOutdatedImage(worker.image, pool?.image ?? null),
    ...(privateFields && {
      metadata: { ...privateFields.dynamicMetadata, ...privateFields.staticMetadata },
      dynamicMetadataUpdatedAt: privateFields.dynamicMetadataUpdatedAt,
      workerPoolData: privateFields.workerPoolData,
    }),
    workRequests: served.rows,
    pagination: pagination(page, SERVED_PER_PAGE, served.total),
  };
  return {
    view: 'worker',
    title: `Worker ${worker.name}`,
    section: 'workers',
    path: `workers/${encodeURIComponent(worker.name)}/`,
    query: { page: page > 1 ? String(page) : undefined },
    data,
  };
};
