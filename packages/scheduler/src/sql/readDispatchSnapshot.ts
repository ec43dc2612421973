import { CONNECTED_WORKERS_SQL, type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { satisfiesSql, WORKER_ENABLED, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { scopePoolOrderSql } from './poolOrder';
import { assignableHeadSize } from '../plan-dispatch';
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
  /**
   * Pending unassigned requests, highest effective priority first, then oldest. The bulk pass
   * reads only the head of each (requirement set, scope) group that could be assigned (see
   * `assignableHeadSize`); the rest of the queue stays in the database.
   */
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

/** Requests waiting for a worker: pending, unassigned, with requirements resolved. */
export function waitingSql(alias: string): string {
  return `${alias}.status = 'pending' and ${alias}.worker_id is null and ${alias}.requirement_set_id is not null`;
}

/**
 * Reads the snapshot in six statements, none of whose cost grows with requests × workers:
 * requirement sets are matched against worker classes (workers with the same effective tags),
 * and of each (requirement set, scope) group only the head that free slots could take is read.
 * With `lock`, the workers with a free slot are locked first (`for no key update skip locked`,
 * in id order), so concurrent passes work on disjoint workers and none goes over capacity, and
 * their free slots are counted after, so work a concurrent claim committed meanwhile is seen;
 * requests are claimed by a guarded update afterwards. `pending` counts the whole queue.
 */
export async function readDispatchSnapshot(
  db: Database,
  { transaction, lock }: { transaction?: Transaction; lock: boolean },
): Promise<DispatchSnapshot & { pending: number }> {
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
  const groups = await db.sequelize.query<{ set_id: string; scope_id: string; pending: number }>(
    `select requirement_set_id as set_id, scope_id, count(*)::int as pending
       from work_requests r where ${waitingSql('r')} group by requirement_set_id, scope_id`,
    { type: QueryTypes.SELECT, transaction },
  );
  const snapshot = {
    requests: [] as QueuedRequest[],
    freeSlots: new Map(workers.map((w) => [w.id, w.free_slots])),
    eligible: new Map<string, Map<string, string[]>>(),
    poolOrder: new Map<string, string[]>(),
    pending: groups.reduce((sum, g) => sum + g.pending, 0),
  };
  if (!workers.length || !groups.length) return snapshot;

  const setIds = [...new Set(groups.map((g) => g.set_id))];
  // One row per worker class (workers with the same effective tags): its workers with their
  // pool and place (earliest connected first), and the requirement sets it satisfies. The
  // (set, worker) pairs are spread here rather than in SQL, where sorting them cost most of the pass.
  const classes = await db.sequelize.query<{ members: [string, string, number][]; set_ids: string[] }>(
    `with free as materialized (
       select w.id, coalesce(w.worker_pool_id::text, '${STATIC}') as pool,
              row_number() over (order by c.connected_since, w.id) as place,
              ${WORKER_TAGS} as tags, ${WORKER_NUMERIC} as numeric
         from workers w left join worker_pools p on p.id = w.worker_pool_id
         left join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
        where w.id = any($1::bigint[])
     ), classes as materialized (
       select tags, numeric, json_agg(json_build_array(id::text, pool, place)) as members from free group by tags, numeric
     )
     select * from (
       select c.members,
              array(select rs.id::text from requirement_sets rs
                     where rs.id = any($2::bigint[]) and ${satisfiesSql('c.tags', 'c.numeric', 'rs')}) as set_ids
         from classes c
     ) able where set_ids <> '{}'`,
    { bind: [workers.map((w) => w.id), setIds], type: QueryTypes.SELECT, transaction },
  );
  // Workers earliest connected first, each given to every set its class satisfies: every list
  // comes out in dispatch's order without sorting the pairs.
  const free = classes.flatMap(({ members, set_ids: able }) => members.map(([workerId, pool, place]) => ({ workerId, pool, place, able })));
  free.sort((x, y) => x.place - y.place);
  for (const { workerId, pool, able } of free) {
    for (const setId of able) {
      if (!snapshot.eligible.has(setId)) snapshot.eligible.set(setId, new Map());
      const byPool = snapshot.eligible.get(setId)!;
      if (!byPool.has(pool)) byPool.set(pool, []);
      byPool.get(pool)!.push(workerId);
    }
  }

  const orders = await db.sequelize.query<{ scope_id: string; pools: string[] }>(
    `with ranked as (${scopePoolOrderSql('$1::bigint[]')})
     select s.id as scope_id,
            array['${STATIC}'] || coalesce(array_agg(r.pool_id::text order by r.rank) filter (where r.pool_id is not null), '{}') as pools
       from scopes s left join ranked r on r.scope_id = s.id
      where s.id = any($1::bigint[])
      group by s.id`,
    { bind: [[...new Set(groups.map((g) => g.scope_id))]], type: QueryTypes.SELECT, transaction },
  );
  for (const order of orders) snapshot.poolOrder.set(order.scope_id, order.pools);

  const headSize = assignableHeadSize(snapshot);
  const heads = groups
    .map((g) => ({ ...g, head: Math.min(g.pending, headSize(g.set_id, g.scope_id)) }))
    .filter((g) => g.head > 0);
  if (!heads.length) return snapshot;
  // One JSON row to decode instead of one row per request.
  const [read] = await db.sequelize.query<{ requests: [string, string, string, number, string][] }>(
    `with heads as (
       select * from unnest($1::bigint[], $2::bigint[], $3::int[]) as h(set_id, scope_id, head)
     ), ranked as (
       select r.id, r.requirement_set_id, r.scope_id, r.priority_base, r.priority_adjustment, r.created_at, h.head,
              row_number() over (partition by r.requirement_set_id, r.scope_id order by ${queueOrderSql('r')}) as place
         from work_requests r join heads h on h.set_id = r.requirement_set_id and h.scope_id = r.scope_id
        where ${waitingSql('r')}
     )
     select coalesce(json_agg(json_build_array(id::text, requirement_set_id::text, scope_id::text,
                                               ${effectivePrioritySql()}, created_at) order by ${queueOrderSql()}), '[]') as requests
       from ranked where place <= head`,
    { bind: [heads.map((h) => h.set_id), heads.map((h) => h.scope_id), heads.map((h) => h.head)], type: QueryTypes.SELECT, transaction },
  );
  snapshot.requests = read!.requests.map(([id, requirementSetId, scopeId, priority, createdAt]) => ({
    id,
    requirementSetId,
    scopeId,
    priority,
    createdAt: new Date(createdAt),
  }));
  return snapshot;
}
