import {
  connectedSinceSql,
  type Database,
  ownValue,
  poolImage,
  scopeWorkerPoolLimitsSchema,
  type ScopeWorkerPoolLimits,
  workerPoolLimitsSchema,
  type WorkerPoolSpecification,
} from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { billingPeriodSeconds, type InstanceState, type PoolForDriver, type PoolState } from '../interfaces';
import { type MonthlyUsage } from './monthlyUsage';

export interface PoolRecord {
  id: string;
  state: PoolState;
  driver: PoolForDriver;
}

/**
 * Every pool with its limits, scope links, health and live instances (booting, connected or
 * not; stopped rows are not instances). Per instance: its assigned pending or running work, and
 * the work completed since this instance started, so history of earlier instances of a reused
 * row never counts.
 */
export async function readPools(
  db: Database,
  usage: Pick<MonthlyUsage, 'pools' | 'scopes'>,
  { transaction, pool }: { transaction?: Transaction; pool?: string } = {},
): Promise<PoolRecord[]> {
  const pools = await db.sequelize.query<{
    id: string;
    name: string;
    enabled: boolean;
    ephemeral: boolean;
    limits: unknown;
    scope_limits: Record<string, unknown>;
    consecutive_failures: number | null;
    backoff_until: Date | null;
    last_error_kind: string | null;
    provider_type: PoolForDriver['providerType'];
    specifications: WorkerPoolSpecification;
    account_id: string;
    account_name: string;
    configuration: Record<string, unknown>;
  }>(
    `select p.id, p.name, p.enabled, p.ephemeral, p.limits, p.provider_type, p.specifications,
            a.id as account_id, a.name as account_name, a.configuration,
            h.consecutive_failures, h.backoff_until, h.last_error_kind,
            coalesce((select json_object_agg(s.name, l.limits)
                        from scope_worker_pools l join scopes s on s.id = l.scope_id
                       where l.worker_pool_id = p.id), '{}') as scope_limits
       from worker_pools p
       join provider_accounts a on a.id = p.provider_account_id
       left join worker_pool_health h on h.worker_pool_id = p.id
      where $1::text is null or p.name = $1::text
      order by p.name`,
    { bind: [pool ?? null], type: QueryTypes.SELECT, transaction },
  );
  const instances = await db.sequelize.query<{
    pool_id: string;
    name: string;
    instance_id: string | null;
    instance_created_at: Date;
    connected_at: Date | null;
    image_id: string | null;
    replaces: string | null;
    active: number;
    completed: number;
    last_completed_at: Date | null;
    draining_since: Date | null;
    draining_reason: string | null;
  }>(
    `select w.worker_pool_id as pool_id, w.name, w.worker_pool_data ->> 'instance-id' as instance_id,
            w.instance_created_at, ${connectedSinceSql('w.id')} as connected_at, w.image_id, w.worker_pool_data ->> 'replaces' as replaces,
            w.draining_since, w.draining_reason,
            (select count(*)::int from work_requests r
              where r.worker_id = w.id and r.status in ('pending', 'running')) as active,
            done.completed, done.last_completed_at
       from workers w
       cross join lateral (
         select count(*)::int as completed, max(r.completed_at) as last_completed_at
           from work_requests r
          where r.worker_id = w.id and r.status in ('completed', 'aborted') and r.completed_at >= w.instance_created_at
       ) done
      where w.instance_created_at is not null and w.worker_pool_id = any($1::bigint[])
      order by w.name`,
    { bind: [pools.map((p) => p.id)], type: QueryTypes.SELECT, transaction },
  );
  const byPool = new Map<string, InstanceState[]>(pools.map((p) => [p.id, []]));
  for (const row of instances) {
    byPool.get(row.pool_id)!.push({
      worker: row.name,
      instanceId: row.instance_id,
      instanceCreatedAt: row.instance_created_at,
      connectedAt: row.connected_at,
      image: row.image_id,
      replaces: row.replaces,
      activeRequests: row.active,
      completedRequests: row.completed,
      lastCompletedAt: row.last_completed_at,
      drainingSince: row.draining_since,
      drainingReason: row.draining_reason,
    });
  }
  return pools.map((p) => ({
    id: p.id,
    state: {
      name: p.name,
      enabled: p.enabled,
      ephemeral: p.ephemeral,
      image: poolImage(p.specifications),
      limits: workerPoolLimitsSchema.parse(p.limits),
      scopeLimits: Object.fromEntries(
        Object.entries(p.scope_limits).map(([scope, limits]): [string, ScopeWorkerPoolLimits] => [
          scope,
          scopeWorkerPoolLimitsSchema.parse(limits),
        ]),
      ),
      health: {
        consecutiveFailures: p.consecutive_failures ?? 0,
        backoffUntil: p.backoff_until,
        lastErrorKind: p.last_error_kind,
      },
      usedSeconds: ownValue(usage.pools, p.name) ?? 0,
      scopeUsedSeconds: ownValue(usage.scopes, p.name) ?? {},
      instances: byPool.get(p.id)!,
      billingPeriodSeconds: billingPeriodSeconds(p.provider_type),
    },
    driver: {
      name: p.name,
      accountId: p.account_id,
      accountName: p.account_name,
      providerType: p.provider_type,
      configuration: p.configuration,
      specifications: p.specifications,
    },
  }));
}
