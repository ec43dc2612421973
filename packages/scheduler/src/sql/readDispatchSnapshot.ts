import { CONNECTED_WORKERS_SQL, type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { satisfiesSql, WORKER_ENABLED, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { scopePoolOrderSql } from './poolOrder';
import { effectivePrioritySql, queueOrderSql } from './queueOrder';

/** Key of the static workers (those without a pool) in per-pool maps. */
export const STATIC = 'static';

export interface QueuedRequest {
  id: string;
  requirementSetId: string;
  scopeId: string;
  priority: number;
  createdAt: Date;
}

/** What one dispatch pass decides over: the queue, the free workers, and who may take what. */
export interface DispatchSnapshot {
  /** Pending unassigned requests, highest effective priority first, then oldest. */
  requests: QueuedRequest[];
  /** Free slots of each connected worker with an enabled token (or the Celery worker) and capacity left. */
  freeSlots: Map<string, number>;
  /**
   * For each requirement set in the queue, the free workers able to run it, by pool id (or
   * STATIC), each list earliest connected first.
   */
  eligible: Map<string, Map<string, string[]>>;
  /**
   * For each scope in the queue, the pools it may use in order of preference: STATIC first,
   * then `scopePoolOrderSql`'s order.
   */
  poolOrder: Map<string, string[]>;
}

/**
 * Reads the snapshot in five statements, none of whose cost grows with requests × workers:
 * requirement sets are matched against worker classes (workers with the same effective tags).
 * With `lock`, the workers with a free slot are locked first (`for no key update skip locked`,
 * in id order), so concurrent passes work on disjoint workers and none goes over capacity, and
 * their free slots are counted after, so work a concurrent claim committed meanwhile is seen;
 * requests are claimed by a guarded update afterwards.
 */
export async function readDispatchSnapshot(
  db: Database,
  { transaction, lock }: { transaction?: Transaction; lock: boolean },
): Promise<DispatchSnapshot> {
  const candidates = await db.sequelize.query<{ id: string }>(
    `select w.id from workers w
       join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
       left join (select worker_id, count(*) as active from work_requests
                   where status in ('pending', 'running') and worker_id is not null group by worker_id) a
         on a.worker_id = w.id
      where ${WORKER_ENABLED} and w.concurrency > coalesce(a.active, 0)
      order by w.id
      ${lock ? 'for no key update of w skip locked' : ''}`,
    { type: QueryTypes.SELECT, transaction },
  );
  // Read after the lock: a session lease that ended while it was taken counts (ending one takes it too).
  const workers = await db.sequelize.query<{ id: string; free_slots: number }>(
    `select w.id, w.concurrency - count(r.id)::int as free_slots
       from workers w
       join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
       left join work_requests r on r.worker_id = w.id and r.status in ('pending', 'running')
      where w.id = any($1::bigint[])
      group by w.id, w.concurrency
     having w.concurrency > count(r.id)`,
    { bind: [candidates.map((w) => w.id)], type: QueryTypes.SELECT, transaction },
  );
  const requests = await db.sequelize.query<{
    id: string;
    requirement_set_id: string;
    scope_id: string;
    priority: number;
    created_at: Date;
  }>(
    `select id, requirement_set_id, scope_id, ${effectivePrioritySql()} as priority, created_at
       from work_requests
      where status = 'pending' and worker_id is null and requirement_set_id is not null
      order by ${queueOrderSql()}`,
    { type: QueryTypes.SELECT, transaction },
  );
  const snapshot: DispatchSnapshot = {
    requests: requests.map((r) => ({
      id: r.id,
      requirementSetId: r.requirement_set_id,
      scopeId: r.scope_id,
      priority: r.priority,
      createdAt: r.created_at,
    })),
    freeSlots: new Map(workers.map((w) => [w.id, w.free_slots])),
    eligible: new Map(),
    poolOrder: new Map(),
  };
  if (!workers.length || !requests.length) return snapshot;

  const setIds = [...new Set(requests.map((r) => r.requirement_set_id))];
  const matches = await db.sequelize.query<{ set_id: string; pool: string; workers: string[] }>(
    `with free as materialized (
       select w.id, coalesce(w.worker_pool_id::text, '${STATIC}') as pool, c.connected_since as connected_at,
              ${WORKER_TAGS} as tags, ${WORKER_NUMERIC} as numeric
         from workers w left join worker_pools p on p.id = w.worker_pool_id
         left join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
        where w.id = any($1::bigint[])
     ), classes as materialized (
       select tags, numeric, array_agg(id) as ids from free group by tags, numeric
     ), able as (
       select rs.id as set_id, unnest(c.ids) as worker_id
         from requirement_sets rs join classes c on ${satisfiesSql('c.tags', 'c.numeric', 'rs')}
        where rs.id = any($2::bigint[])
     )
     select a.set_id, f.pool, array_agg(f.id order by f.connected_at, f.id) as workers
       from able a join free f on f.id = a.worker_id
      group by a.set_id, f.pool`,
    { bind: [workers.map((w) => w.id), setIds], type: QueryTypes.SELECT, transaction },
  );
  for (const match of matches) {
    if (!snapshot.eligible.has(match.set_id)) snapshot.eligible.set(match.set_id, new Map());
    snapshot.eligible.get(match.set_id)!.set(match.pool, match.workers);
  }

  const orders = await db.sequelize.query<{ scope_id: string; pools: string[] }>(
    `with ranked as (${scopePoolOrderSql('$1::bigint[]')})
     select s.id as scope_id,
            array['${STATIC}'] || coalesce(array_agg(r.pool_id::text order by r.rank) filter (where r.pool_id is not null), '{}') as pools
       from scopes s left join ranked r on r.scope_id = s.id
      where s.id = any($1::bigint[])
      group by s.id`,
    { bind: [[...new Set(requests.map((r) => r.scope_id))]], type: QueryTypes.SELECT, transaction },
  );
  for (const order of orders) snapshot.poolOrder.set(order.scope_id, order.pools);
  return snapshot;
}
