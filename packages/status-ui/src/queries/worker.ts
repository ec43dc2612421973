import { connectedSinceSql, type Database, type WorkerType, type WorkRequestResult, type WorkRequestStatus, type TaskType } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { RUNNING_IDS_SQL, WORKER_STATUS_SQL, type WorkerStatus } from './workers';

export interface WorkerDetailRow {
  name: string;
  type: WorkerType;
  registeredAt: string;
  connectedAt: string | null;
  instanceCreatedAt: string | null;
  /** The image its current (or last) instance was launched from. */
  image: string | null;
  /** Set while the provisioner drains it: no new work, terminated once idle (`since`, and the decision's reason). */
  draining: { since: string; reason: string } | null;
  concurrency: number;
  lastSeenAt: string | null;
  status: WorkerStatus;
  runningWorkRequests: string[];
  tags: string[];
  numericTags: Record<string, number>;
  pool: string | null;
  /** Loaded for authenticated viewers only; null otherwise. */
  privateFields: {
    staticMetadata: Record<string, unknown>;
    dynamicMetadata: Record<string, unknown>;
    dynamicMetadataUpdatedAt: string | null;
    workerPoolData: Record<string, unknown> | null;
  } | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * One worker by name, Celery workers excepted. The private columns are not even
 * selected for an anonymous viewer.
 */
export async function queryWorker(db: Database, name: string, authenticated: boolean): Promise<WorkerDetailRow | null> {
  const [r] = await db.sequelize.query<{
    name: string;
    worker_type: WorkerType;
    registered_at: Date;
    connected_at: Date | null;
    instance_created_at: Date | null;
    image_id: string | null;
    draining_since: Date | null;
    draining_reason: string | null;
    concurrency: number;
    last_seen_at: Date | null;
    status: WorkerStatus;
    running: string[];
    tags: string[];
    numeric_tags: Record<string, number>;
    pool: string | null;
    static_metadata: Record<string, unknown> | null;
    dynamic_metadata: Record<string, unknown> | null;
    dynamic_metadata_updated_at: Date | null;
    worker_pool_data: Record<string, unknown> | null;
  }>(
    `select w.name, w.worker_type, w.registered_at, ${connectedSinceSql('w.id')} as connected_at, w.instance_created_at, w.image_id, w.draining_since, w.draining_reason, w.concurrency,
            t.last_seen_at, ${WORKER_STATUS_SQL} as status, ${RUNNING_IDS_SQL} as running,
            w.tags, w.numeric_tags, p.name as pool,
            case when $2::boolean then w.static_metadata end as static_metadata,
            case when $2::boolean then w.dynamic_metadata end as dynamic_metadata,
            case when $2::boolean then w.dynamic_metadata_updated_at end as dynamic_metadata_updated_at,
            case when $2::boolean then w.worker_pool_data end as worker_pool_data
       from workers w
       left join worker_pools p on p.id = w.worker_pool_id
       left join tokens t on t.id = w.token_id
      where w.name = $1::text and w.worker_type <> 'celery'`,
    { bind: [name, authenticated], type: QueryTypes.SELECT },
  );
  if (!r) return null;
  return {
    name: r.name,
    type: r.worker_type,
    registeredAt: r.registered_at.toISOString(),
    connectedAt: iso(r.connected_at),
    instanceCreatedAt: iso(r.instance_created_at),
    image: r.image_id,
    draining: r.draining_since && r.draining_reason ? { since: r.draining_since.toISOString(), reason: r.draining_reason } : null,
    concurrency: r.concurrency,
    lastSeenAt: iso(r.last_seen_at),
    status: r.status,
    runningWorkRequests: r.running.map(String),
    tags: r.tags,
    numericTags: r.numeric_tags,
    pool: r.pool,
    privateFields: authenticated
      ? {
          staticMetadata: r.static_metadata ?? {},
          dynamicMetadata: r.dynamic_metadata ?? {},
          dynamicMetadataUpdatedAt: iso(r.dynamic_metadata_updated_at),
          workerPoolData: r.worker_pool_data,
        }
      : null,
  };
}

export interface ServedWorkRequest {
  id: string;
  createdAt: string;
  taskType: TaskType;
  taskName: string;
  status: WorkRequestStatus;
  result: WorkRequestResult;
}

/** The work requests a worker was assigned, newest first, one page of them. */
export async function queryServedWorkRequests(
  db: Database,
  workerName: string,
  limit: number,
  offset: number,
): Promise<{ rows: ServedWorkRequest[]; total: number }> {
  const rows = await db.sequelize.query<{
    id: string | null;
    created_at: Date;
    task_type: TaskType;
    task_name: string;
    status: WorkRequestStatus;
    result: WorkRequestResult;
    total: number;
  }>(
    `with worker as (select id from workers where name = $1::text),
          counted as (select count(*)::int as total from work_requests where worker_id = (select id from worker))
     select counted.total, r.*
       from counted
       left join lateral (
         select r.id, r.created_at, r.task_type, r.task_name, r.status, r.result
           from work_requests r
          where r.worker_id = (select id from worker)
          order by r.created_at desc, r.id desc
          limit $2::int offset $3::int
       ) r on true`,
    { bind: [workerName, limit, offset], type: QueryTypes.SELECT },
  );
  return {
    total: rows[0]?.total ?? 0,
    rows: rows.flatMap((r) =>
      r.id === null
        ? []
        : [
            {
              id: String(r.id),
              createdAt: r.created_at.toISOString(),
              taskType: r.task_type,
              taskName: r.task_name,
              status: r.status,
              result: r.result,
            },
          ],
    ),
  };
}
