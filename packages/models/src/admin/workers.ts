import { QueryTypes } from 'sequelize';
import { type Database } from '../database';
import { NotFoundError } from '../errors';
import { type WorkerType } from '../models';
import { connectedSinceSql } from '../worker-sessions';

/** A worker as admins see it: never its tokens. */
export interface WorkerView {
  name: string;
  workerType: WorkerType;
  pool: string | null;
  registeredAt: string;
  /** Since when a process holds a live lease on a session of it; null while disconnected. */
  connectedAt: string | null;
  instanceCreatedAt: string | null;
  /** The image its current (or last) instance was launched from; null for static workers. */
  image: string | null;
  /** Set while the provisioner drains it: no new work, terminated once idle (`since`, and the decision's reason). */
  draining: { since: string; reason: string } | null;
  /** The worker's token is enabled (false when it has none yet). */
  enabled: boolean;
  lastSeenAt: string | null;
  concurrency: number;
  tags: string[];
  numericTags: Record<string, number>;
  adminTags: string[];
}

export interface WorkerDetailView extends WorkerView {
  staticMetadata: Record<string, unknown>;
  dynamicMetadata: Record<string, unknown>;
  dynamicMetadataUpdatedAt: string | null;
  workerPoolData: Record<string, unknown> | null;
}

export async function listWorkers(db: Database, filter: { pool?: string } = {}): Promise<WorkerView[]> {
  return (await queryWorkers(db, { pool: filter.pool })).map(({ staticMetadata: _s, dynamicMetadata: _d, dynamicMetadataUpdatedAt: _u, workerPoolData: _p, ...view }) => view);
}

export async function getWorker(db: Database, name: string): Promise<WorkerDetailView> {
  const [worker] = await queryWorkers(db, { name });
  if (!worker) throw new NotFoundError('worker', name, 'see `buildfleet worker list`');
  return worker;
}

async function queryWorkers(db: Database, filter: { name?: string; pool?: string }): Promise<WorkerDetailView[]> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const rows = await db.sequelize.query<{
    name: string;
    worker_type: WorkerType;
    pool: string | null;
    registered_at: Date;
    connected_at: Date | null;
    instance_created_at: Date | null;
    image_id: string | null;
    draining_since: Date | null;
    draining_reason: string | null;
    enabled: boolean | null;
    last_seen_at: Date | null;
    concurrency: number;
    tags: string[];
    numeric_tags: Record<string, number>;
    admin_tags: string[];
    static_metadata: Record<string, unknown>;
    dynamic_metadata: Record<string, unknown>;
    dynamic_metadata_updated_at: Date | null;
    worker_pool_data: Record<string, unknown> | null;
  }>(
    `select w.name, w.worker_type, p.name as pool, w.registered_at, ${connectedSinceSql('w.id')} as connected_at, w.instance_created_at, w.image_id,
            w.draining_since, w.draining_reason, t.enabled, t.last_seen_at, w.concurrency, w.tags, w.numeric_tags, w.admin_tags,
            w.static_metadata, w.dynamic_metadata, w.dynamic_metadata_updated_at, w.worker_pool_data
       from workers w
       left join worker_pools p on p.id = w.worker_pool_id
       left join tokens t on t.id = w.token_id
      where ($1::text is null or w.name = $1::text) and ($2::text is null or p.name = $2::text)
      order by w.name`,
    { bind: [filter.name ?? null, filter.pool ?? null], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    name: r.name,
    workerType: r.worker_type,
    pool: r.pool,
    registeredAt: r.registered_at.toISOString(),
    connectedAt: iso(r.connected_at),
    instanceCreatedAt: iso(r.instance_created_at),
    image: r.image_id,
    draining: r.draining_since && r.draining_reason ? { since: r.draining_since.toISOString(), reason: r.draining_reason } : null,
    enabled: r.enabled ?? false,
    lastSeenAt: iso(r.last_seen_at),
    concurrency: r.concurrency,
    tags: r.tags,
    numericTags: r.numeric_tags,
    adminTags: r.admin_tags,
    staticMetadata: r.static_metadata,
    dynamicMetadata: r.dynamic_metadata,
    dynamicMetadataUpdatedAt: iso(r.dynamic_metadata_updated_at),
    workerPoolData: r.worker_pool_data,
  }));
}
