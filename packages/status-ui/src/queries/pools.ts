import {
  type Database,
  outdatedInstances,
  poolImage,
  type ProviderType,
  type WorkerPoolLimits,
  type WorkerPoolSpecification,
  workerPoolLimitsSchema,
} from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { type Order } from '../listing';

export const POOL_ORDER_COLUMNS = [
  'name',
  'provider',
  'enabled',
  'instance_wide',
  'ephemeral',
  'workers',
  'instances',
  'seconds',
] as const;
export type PoolOrderColumn = (typeof POOL_ORDER_COLUMNS)[number];

/** What anyone may see of a pool: never its provider account's name or credentials. */
export interface PoolSummary {
  name: string;
  providerType: ProviderType;
  enabled: boolean;
  instanceWide: boolean;
  ephemeral: boolean;
  architectures: string[];
  tags: string[];
  specifications: WorkerPoolSpecification;
  limits: WorkerPoolLimits;
  registeredAt: string;
  /** All worker rows, stopped ones included. */
  workers: number;
  /** Workers with a live instance (`instance_created_at` set). */
  instances: number;
  /** The image the pool launches; null when it names none. */
  image: string | null;
  /** Live instances launched from another image than the pool's, which the provisioner replaces. */
  outdatedInstances: number;
  /** Instance seconds this UTC month, as the host's `monthlyUsage` hook accounts them; null without it. */
  secondsThisMonth: number | null;
}

const ORDER_SQL: Record<PoolOrderColumn, string> = {
  name: 'p.name',
  provider: 'p.provider_type',
  enabled: 'p.enabled',
  instance_wide: 'p.instance_wide',
  ephemeral: 'p.ephemeral',
  workers: 'workers',
  instances: 'instances',
  seconds: 'seconds_this_month',
};

/**
 * Pools with their worker counts and the given month-to-date usage (seconds per pool name, or
 * null when the host gave none), in one statement, so a page can sort by usage. `name` picks
 * one pool; without `page` every pool is returned (metrics).
 */
export async function queryPoolSummaries(
  db: Database,
  options: {
    usage: Record<string, number> | null;
    name?: string;
    order?: Order<PoolOrderColumn>;
    page?: { limit: number; offset: number };
  },
): Promise<{ rows: PoolSummary[]; total: number }> {
  const order = options.order ?? { column: 'name', descending: false };
  const direction = order.descending ? 'desc' : 'asc';
  const rows = await db.sequelize.query<{
    name: string;
    provider_type: ProviderType;
    enabled: boolean;
    instance_wide: boolean;
    ephemeral: boolean;
    architectures: string[];
    tags: string[];
    specifications: WorkerPoolSpecification;
    limits: unknown;
    registered_at: Date;
    workers: number;
    instances: number;
    live_images: Record<string, number> | null;
    seconds_this_month: number | null;
    total: number;
  }>(
    `select p.name, p.provider_type, p.enabled, p.instance_wide, p.ephemeral, p.architectures, p.tags,
            p.specifications, p.limits, p.registered_at,
            coalesce(w.workers, 0) as workers,
            coalesce(w.instances, 0) as instances, i.live_images,
            case when $1::jsonb is not null then floor(coalesce(($1::jsonb ->> p.name)::float8, 0))::bigint::int end
              as seconds_this_month,
            count(*) over ()::int as total
       from worker_pools p
       left join (
         select worker_pool_id, count(*)::int as workers, count(instance_created_at)::int as instances
           from workers
          where worker_pool_id is not null
          group by worker_pool_id
       ) w on w.worker_pool_id = p.id
       left join lateral (
         select json_object_agg(image_id, n) as live_images
           from (select image_id, count(*)::int as n from workers
                  where worker_pool_id = p.id and instance_created_at is not null and image_id is not null
                  group by image_id) counted
       ) i on true
      where $2::text is null or p.name = $2::text
      order by ${ORDER_SQL[order.column]} ${direction}, p.name ${direction}
      limit $3::int offset $4::int`,
    {
      bind: [
        options.usage === null ? null : JSON.stringify(options.usage),
        options.name ?? null,
        options.page?.limit ?? null,
        options.page?.offset ?? 0,
      ],
      type: QueryTypes.SELECT,
    },
  );
  return {
    total: rows[0]?.total ?? 0,
    rows: rows.map((r) => ({
      name: r.name,
      providerType: r.provider_type,
      enabled: r.enabled,
      instanceWide: r.instance_wide,
      ephemeral: r.ephemeral,
      architectures: r.architectures,
      tags: r.tags,
      specifications: r.specifications,
      limits: workerPoolLimitsSchema.parse(r.limits),
      registeredAt: r.registered_at.toISOString(),
      workers: r.workers,
      instances: r.instances,
      image: poolImage(r.specifications),
      outdatedInstances: outdatedInstances(r.live_images ?? {}, poolImage(r.specifications)),
      secondsThisMonth: r.seconds_this_month,
    })),
  };
}

export interface PoolScopeLink {
  scope: string;
  label: string;
  priority: number;
}

/** The scopes linked to a pool, highest priority first. */
export async function queryPoolScopes(db: Database, pool: string): Promise<PoolScopeLink[]> {
  return db.sequelize.query<PoolScopeLink>(
    `select s.name as scope, s.label, l.priority
       from scope_worker_pools l
       join scopes s on s.id = l.scope_id
       join worker_pools p on p.id = l.worker_pool_id
      where p.name = $1::text
      order by l.priority desc, s.name`,
    { bind: [pool], type: QueryTypes.SELECT },
  );
}
