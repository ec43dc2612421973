import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { freeWorkersSql, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { satisfies } from '../matching';
import { scopePoolOrderSql } from './poolOrder';
import { assignableHeadSize } from '../plan-dispatch';
import { effectivePrioritySql, queueOrderSql } from './queueOrder';

/** Key of the static workers (those without a pool) in per-pool maps. */
export const STATIC = 'static';

/** A waiting request as planning sees it: which group it belongs to (its place is the list's order). */
export interface QueuedRequest {
  id: string;
  requirementSetId: string;
  scopeId: string;
}

/** What one dispatch pass decides over: the queue, the free workers, and who may take what. */
export interface DispatchSnapshot {
  /**
   * Pending unassigned requests, highest effective priority first, then oldest. The bulk pass
   * reads only the head of each (requirement set, scope) group that could be assigned (see
   * `assignableHeadSize`); the rest of the queue stays in the database.
   */
  requests: QueuedRequest[];
  /** Free slots of each connected, not draining worker with an enabled token (or the Celery worker) and capacity left. */
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
 * Reads the snapshot in four statements, none of whose cost grows with requests × workers:
 * requirement sets are matched against worker classes (workers with the same effective tags),
 * and of each (requirement set, scope) group only the head that free slots could take is read,
 * as an index range (`work_requests_waiting_by_group`, in queue order), not a window over the
 * queue. Nothing is locked: a pass locks the workers it planned to give work afterwards
 * (`lockPlannedWorkers`), and counts their free slots again then. `pending` counts the whole
 * queue.
 */
export async function readDispatchSnapshot(db: Database, { transaction }: { transaction?: Transaction } = {}): Promise<DispatchSnapshot & { pending: number }> {
  // Counted from the waiting queue's index alone (work_requests_waiting_by_group).
  const groups = await db.sequelize.query<{ set_id: string; scope_id: string; pending: number; tags: string[]; minimums: Record<string, number> }>(
    `select g.set_id, g.scope_id, g.pending, rs.tags, rs.minimums
       from (select requirement_set_id as set_id, scope_id, count(*)::int as pending
               from work_requests r where ${waitingSql('r')} group by requirement_set_id, scope_id) g
       join requirement_sets rs on rs.id = g.set_id`,
    { type: QueryTypes.SELECT, transaction },
  );
  // The free workers (connected, enabled or the Celery worker, not draining, a slot free) come
  // earliest connected first, dispatch's order among the workers of one pool; and, when work
  // waits, grouped into classes (free workers with the same effective tags), matched against
  // the queue's requirement sets below by `satisfies`, the twin of `satisfiesSql`: a thousand
  // classes × a hundred sets cost milliseconds in memory, far more in SQL.
  const [free] = (await db.sequelize.query(
    `with free as materialized (${freeWorkersSql()})
     select (select json_agg(json_build_array(id::text, free_slots) order by connected_since, id) from free) as workers,
            case when $1 then
              (select json_agg(json_build_array(tags, numeric, ids, pools))
                 from (select ${WORKER_TAGS} as tags, ${WORKER_NUMERIC} as numeric,
                              array_agg(w.id::text) as ids, array_agg(coalesce(w.worker_pool_id::text, '${STATIC}')) as pools
                         from free w left join worker_pools p on p.id = w.worker_pool_id
                        group by 1, 2) c)
            end as classes`,
    { bind: [groups.length > 0], type: QueryTypes.SELECT, transaction },
  )) as [{ workers: [string, number][] | null; classes: [string[], Record<string, number>, string[], string[]][] | null }];
  const workers = free!.workers ?? [];
  const snapshot = {
    requests: [] as QueuedRequest[],
    freeSlots: new Map(workers),
    eligible: new Map<string, Map<string, string[]>>(),
    poolOrder: new Map<string, string[]>(),
    pending: groups.reduce((sum, g) => sum + g.pending, 0),
  };
  if (!workers.length || !groups.length) return snapshot;

  const sets = [...new Map(groups.map((g) => [g.set_id, { id: g.set_id, tags: g.tags, minimums: g.minimums }])).values()];
  const able = new Map<string, { pool: string; sets: string[] }>();
  for (const [tags, numeric, ids, pools] of free!.classes ?? []) {
    const tagSet = new Set(tags);
    const setIds = sets.filter((set) => satisfies(tagSet, numeric, set)).map((set) => set.id);
    if (setIds.length) ids.forEach((id, i) => able.set(id, { pool: pools[i]!, sets: setIds }));
  }
  // Workers earliest connected first, each given to every set its class satisfies: every list
  // comes out in dispatch's order without sorting the pairs.
  for (const [id] of workers) {
    const worker = able.get(id);
    if (!worker) continue;
    for (const setId of worker.sets) {
      let byPool = snapshot.eligible.get(setId);
      if (!byPool) snapshot.eligible.set(setId, (byPool = new Map()));
      let list = byPool.get(worker.pool);
      if (!list) byPool.set(worker.pool, (list = []));
      list.push(id);
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
  // Each head is a range of work_requests_waiting_by_group, read index-only and already in
  // queue order; one JSON row of per-group arrays, merged into queue order here.
  // A head can come back empty (its arrays null): the group's requests counted above may have
  // been started since, by a worker's own settle or get-next, between the two statements.
  const [read] = await db.sequelize.query<{ heads: [string, string, number[] | null, number[] | null, number[] | null][] | null }>(
    `select json_agg(json_build_array(h.set_id::text, h.scope_id::text, q.ids, q.priorities, q.created)) as heads
       from unnest($1::bigint[], $2::bigint[], $3::int[]) as h(set_id, scope_id, head)
       cross join lateral (
         select array_agg(r.id) as ids, array_agg(r.priority) as priorities, array_agg(r.created) as created
           from (select r.id, ${effectivePrioritySql('r')} as priority, (extract(epoch from r.created_at) * 1000000)::bigint as created
                   from work_requests r
                  where ${waitingSql('r')} and r.requirement_set_id = h.set_id and r.scope_id = h.scope_id
                  order by ${queueOrderSql('r')}
                  limit h.head) r
       ) q`,
    { bind: [heads.map((h) => h.set_id), heads.map((h) => h.scope_id), heads.map((h) => h.head)], type: QueryTypes.SELECT, transaction },
  );
  snapshot.requests = mergeHeads(
    (read!.heads ?? []).map(([requirementSetId, scopeId, ids, priorities, created]) => ({
      requirementSetId,
      scopeId,
      ids: ids ?? [],
      priorities: priorities ?? [],
      created: created ?? [],
    })),
  );
  return snapshot;
}

/** One group's head as read: its requests' ids, effective priorities and creation times (µs), in queue order. */
interface Head {
  requirementSetId: string;
  scopeId: string;
  ids: number[];
  priorities: number[];
  created: number[];
}

/**
 * The heads merged into one list in queue order (`queueOrderSql`): their requests laid end to
 * end in typed arrays, and a binary heap of each head's front position.
 */
function mergeHeads(heads: Head[]): QueuedRequest[] {
  let total = 0;
  for (const head of heads) total += head.ids.length;
  const priority = new Float64Array(total);
  const created = new Float64Array(total);
  const id = new Float64Array(total);
  const headOf = new Int32Array(total);
  const end = new Int32Array(heads.length);
  const heap = new Int32Array(heads.length);
  let size = 0;
  let at = 0;
  heads.forEach((head, h) => {
    if (head.ids.length) heap[size++] = at;
    for (let i = 0; i < head.ids.length; i++, at++) {
      priority[at] = head.priorities[i]!;
      created[at] = head.created[i]!;
      id[at] = head.ids[i]!;
      headOf[at] = h;
    }
    end[h] = at;
  });
  // Higher priority, then older, then lower id.
  const before = (a: number, b: number) =>
    priority[a] !== priority[b] ? priority[a]! > priority[b]! : created[a] !== created[b] ? created[a]! < created[b]! : id[a]! < id[b]!;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < size && before(heap[l]!, heap[top]!)) top = l;
      if (r < size && before(heap[r]!, heap[top]!)) top = r;
      if (top === i) return;
      const swap = heap[i]!;
      heap[i] = heap[top]!;
      heap[top] = swap;
      i = top;
    }
  };
  for (let i = Math.floor(size / 2) - 1; i >= 0; i--) down(i);
  const merged: QueuedRequest[] = new Array(total);
  for (let n = 0; n < total; n++) {
    const front = heap[0]!;
    const head = heads[headOf[front]!]!;
    merged[n] = { id: String(id[front]), requirementSetId: head.requirementSetId, scopeId: head.scopeId };
    heap[0] = front + 1 < end[headOf[front]!]! ? front + 1 : heap[--size]!;
    if (size) down(0);
  }
  return merged;
}
