import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { type Database } from '../database';
import { NotFoundError } from '../errors';
import { slugSchema } from '../schemas/common';
import { type ScopeWorkerPoolLimits, scopeWorkerPoolLimitsSchema } from '../schemas/limits';
import { parseInput } from '../validation';
import { explainConstraints } from './constraint';

export interface ScopeView {
  name: string;
  label: string;
  createdAt: string;
  pools: string[];
}

export interface ScopePoolLinkView {
  scope: string;
  pool: string;
  poolInstanceWide: boolean;
  /** Pools with a higher priority are used first for this scope. */
  priority: number;
  limits: ScopeWorkerPoolLimits;
}

const scopeInputSchema = z.strictObject({ name: slugSchema.max(100), label: z.string().max(200).optional() });

/** Creates the scope, or updates its label (idempotent on name). */
export async function upsertScope(
  db: Database,
  input: { name: string; label?: string },
): Promise<{ scope: ScopeView; created: boolean }> {
  const data = parseInput(scopeInputSchema, input, 'scope');
  const [scope, created] = await db.models.Scope.findOrCreate({
    where: { name: data.name },
    defaults: { name: data.name, label: data.label ?? data.name },
  });
  if (!created && data.label !== undefined && scope.label !== data.label) await scope.update({ label: data.label });
  return { scope: (await queryScopes(db, data.name))[0]!, created };
}

export async function listScopes(db: Database): Promise<ScopeView[]> {
  return queryScopes(db);
}

/**
 * Links a scope to a pool with a priority and scope limits, or updates that link. Debusine has
 * no command for this; the database refuses a second scope for a pool that is not instance-wide.
 */
export async function linkScopePool(
  db: Database,
  input: { scope: string; pool: string; priority?: number; limits?: unknown },
): Promise<ScopePoolLinkView> {
  const priority = parseInput(z.number().int().optional(), input.priority, 'scope link', 'priority');
  const limits =
    input.limits === undefined ? undefined : parseInput(scopeWorkerPoolLimitsSchema, input.limits, 'scope link', 'limits');
  const { scope, pool } = await findPair(db, input.scope, input.pool);
  await explainConstraints(
    () =>
      db.sequelize.query(
        `insert into scope_worker_pools (scope_id, worker_pool_id, pool_instance_wide, priority, limits)
         values ($1, $2, $3, coalesce($4::int, 0), coalesce($5::jsonb, $6::jsonb))
         on conflict (scope_id, worker_pool_id) do update
            set priority = coalesce($4::int, scope_worker_pools.priority),
                limits = coalesce($5::jsonb, scope_worker_pools.limits)`,
        {
          bind: [
            scope.id,
            pool.id,
            pool.instanceWide,
            priority ?? null,
            limits ? JSON.stringify(limits) : null,
            JSON.stringify(scopeWorkerPoolLimitsSchema.parse({})),
          ],
        },
      ),
    {
      scope_worker_pools_scoped_pool_once:
        `worker pool "${input.pool}" is not instance-wide and already belongs to another scope; ` +
        'a scope-only pool serves exactly one scope (unlink it there first, or make the pool instance-wide)',
    },
  );
  return (await listScopePoolLinks(db, { scope: input.scope, pool: input.pool }))[0]!;
}

export async function unlinkScopePool(db: Database, scopeName: string, poolName: string): Promise<void> {
  const { scope, pool } = await findPair(db, scopeName, poolName);
  await explainConstraints(
    async () => {
      const removed = await db.models.ScopeWorkerPool.destroy({ where: { scopeId: scope.id, workerPoolId: pool.id } });
      if (!removed) throw new NotFoundError('scope link', `${scopeName} → ${poolName}`);
    },
    {
      scoped_pool_has_one_scope:
        `worker pool "${poolName}" is not instance-wide and serves only scope "${scopeName}"; ` +
        'delete the pool or make it instance-wide instead of unlinking it',
    },
  );
}

export async function listScopePoolLinks(
  db: Database,
  filter: { scope?: string; pool?: string } = {},
): Promise<ScopePoolLinkView[]> {
  const rows = await db.sequelize.query<{
    scope: string;
    pool: string;
    pool_instance_wide: boolean;
    priority: number;
    limits: unknown;
  }>(
    `select s.name as scope, p.name as pool, l.pool_instance_wide, l.priority, l.limits
       from scope_worker_pools l
       join scopes s on s.id = l.scope_id
       join worker_pools p on p.id = l.worker_pool_id
      where ($1::text is null or s.name = $1::text) and ($2::text is null or p.name = $2::text)
      order by s.name, l.priority desc, p.name`,
    { bind: [filter.scope ?? null, filter.pool ?? null], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    scope: r.scope,
    pool: r.pool,
    poolInstanceWide: r.pool_instance_wide,
    priority: r.priority,
    limits: scopeWorkerPoolLimitsSchema.parse(r.limits),
  }));
}

async function findPair(db: Database, scopeName: string, poolName: string) {
  const scope = await db.models.Scope.findOne({ where: { name: scopeName } });
  if (!scope) throw new NotFoundError('scope', scopeName, 'see `buildfleet scope list`');
  const pool = await db.models.WorkerPool.findOne({ where: { name: poolName } });
  if (!pool) throw new NotFoundError('worker pool', poolName, 'see `buildfleet pool list`');
  return { scope, pool };
}

async function queryScopes(db: Database, name?: string): Promise<ScopeView[]> {
  const rows = await db.sequelize.query<{ name: string; label: string; created_at: Date; pools: string[] }>(
    `select s.name, s.label, s.created_at,
            array(select p.name from scope_worker_pools l join worker_pools p on p.id = l.worker_pool_id
                   where l.scope_id = s.id order by l.priority desc, p.name) as pools
       from scopes s where $1::text is null or s.name = $1::text order by s.name`,
    { bind: [name ?? null], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ name: r.name, label: r.label, createdAt: r.created_at.toISOString(), pools: r.pools }));
}
