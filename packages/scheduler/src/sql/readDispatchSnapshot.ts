import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { freeWorkersSql, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { satisfies } from '../matching';
import { scopePoolOrderSql } from './poolOrder';
import { assignableHeadSize, type Assignment, planDispatch } from '../plan-dispatch';
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
   * `assignableHeadSize`), and of that only as far as its plan needs (`readAndPlanDispatch`);
   * the rest of the queue stays in the database.
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
 * Reads the snapshot and plans it (`planDispatch`), none of whose cost grows with requests ×
 * workers: requirement sets are matched against worker classes (workers with the same
 * effective tags), and of each (requirement set, scope) group only the head that free slots
 * could take is read, as index ranges (`work_requests_waiting_by_group`, in queue order), not a
 * window over the queue, in rounds: a first round shares twice the free slots among the groups,
 * and a group is read further (as much again) only while the plan assigns every request read of it.
 * The plan is the one whole heads give (see `untilUnassigned`), from a fraction of the rows
 * when the fleet is mostly busy. Nothing is locked: a pass locks the workers it planned to give
 * work afterwards (`lockPlannedWorkers`), and counts their free slots again then. `pending`
 * counts the whole queue.
 */
export async function readAndPlanDispatch(
  db: Database,
  { transaction }: { transaction?: Transaction } = {},
): Promise<{ snapshot: DispatchSnapshot & { pending: number }; plan: { assignments: Assignment[] } }> {
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
  if (!workers.length || !groups.length) return { snapshot, plan: { assignments: [] } };

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
  const heads: Head[] = groups
    .map((g) => ({ requirementSetId: g.set_id, scopeId: g.scope_id, wanted: Math.min(g.pending, headSize(g.set_id, g.scope_id)), ids: [], priorities: [], created: [] }))
    .filter((h) => h.wanted > 0);
  if (!heads.length) return { snapshot, plan: { assignments: [] } };
  // A first round of twice the free slots, shared out among the groups as the slots able to take
  // them are (`wanted`); then, for the groups that might take more, as much again as was read.
  let slots = 0;
  for (const free of snapshot.freeSlots.values()) slots += free;
  const wanted = heads.reduce((sum, h) => sum + h.wanted, 0);
  let reading = heads;
  for (;;) {
    const asked = reading.map((h) =>
      Math.min(h.wanted - h.ids.length, h.ids.length ? h.ids.length : Math.max(FIRST_ROUND_MIN, Math.ceil((2 * slots * h.wanted) / wanted))),
    );
    const read = await readHeads(db, reading, asked, transaction);
    reading.forEach((head, i) => {
      const more = read.get(head) ?? { ids: [], priorities: [], created: [] };
      head.ids = head.ids.concat(more.ids);
      head.priorities = head.priorities.concat(more.priorities);
      head.created = head.created.concat(more.created);
      // A group whose waiting requests ran out before its round did (taken since the count) is read whole.
      if (more.ids.length < asked[i]!) head.wanted = head.ids.length;
    });
    snapshot.requests = mergeHeads(heads);
    const plan = planDispatch(snapshot);
    reading = untilUnassigned(heads, plan.assignments);
    if (!reading.length) return { snapshot, plan };
  }
}

/** The snapshot readAndPlanDispatch plans over: what a pass decides over, as it reads it. */
export async function readDispatchSnapshot(db: Database, options: { transaction?: Transaction } = {}): Promise<DispatchSnapshot & { pending: number }> {
  return (await readAndPlanDispatch(db, options)).snapshot;
}

/** Requests per group in a pass's first round of heads, at least. */
const FIRST_ROUND_MIN = 8;

/**
 * The heads read only in part whose every request read was assigned: the plan might give
 * their next requests work too. A group with a request left unassigned is read far enough:
 * its candidates were out of slots then, and slots only run out further along the queue, so
 * its later requests would be left too, and planning over what was read assigns as planning
 * over whole heads does.
 */
function untilUnassigned(heads: Head[], assignments: readonly Assignment[]): Head[] {
  const assigned = new Set(assignments.map((a) => a.workRequestId));
  return heads.filter((head) => head.ids.length < head.wanted && head.ids.every((id) => assigned.has(String(id))));
}

/**
 * The next requests of each of `heads` in queue order, after those already read, at most
 * `asked[i]` of heads[i]: a range of work_requests_waiting_by_group, read index-only and
 * starting after the last request read (not at an offset, so that a request taken or queued
 * since is neither read twice nor skipped). One JSON row of per-group arrays.
 */
async function readHeads(db: Database, heads: Head[], asked: number[], transaction: Transaction | undefined): Promise<Map<Head, Omit<Head, 'requirementSetId' | 'scopeId' | 'wanted'>>> {
  const last = heads.map((h) => h.ids.length - 1);
  const [read] = await db.sequelize.query<{ heads: [number, number[] | null, number[] | null, number[] | null][] | null }>(
    `select json_agg(json_build_array(h.n, q.ids, q.priorities, q.created)) as heads
       from unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::int[], $6::bigint[]) with ordinality
              as h(set_id, scope_id, take, after_id, after_priority, after_created, n)
       cross join lateral (
         select array_agg(r.id) as ids, array_agg(r.priority) as priorities, array_agg(r.created) as created
           from (select r.id, ${effectivePrioritySql('r')} as priority, (extract(epoch from r.created_at) * 1000000)::bigint as created
                   from work_requests r
                  where ${waitingSql('r')} and r.requirement_set_id = h.set_id and r.scope_id = h.scope_id
                    and (h.after_id is null
                         or ${effectivePrioritySql('r')} < h.after_priority
                         or (${effectivePrioritySql('r')} = h.after_priority
                             and (r.created_at, r.id) > ('epoch'::timestamptz + h.after_created * interval '1 microsecond', h.after_id)))
                  order by ${queueOrderSql('r')}
                  limit h.take) r
       ) q`,
    {
      bind: [
        heads.map((h) => h.requirementSetId),
        heads.map((h) => h.scopeId),
        asked,
        heads.map((h, i) => (last[i]! >= 0 ? h.ids[last[i]!] : null)),
        heads.map((h, i) => (last[i]! >= 0 ? h.priorities[last[i]!] : null)),
        heads.map((h, i) => (last[i]! >= 0 ? h.created[last[i]!] : null)),
      ],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  // A head can come back empty (its arrays null): the group's requests counted may have been
  // started since, by a worker's own settle or get-next.
  return new Map((read!.heads ?? []).map(([n, ids, priorities, created]) => [heads[n - 1]!, { ids: ids ?? [], priorities: priorities ?? [], created: created ?? [] }]));
}

/**
 * One group's head as read: its requests' ids, effective priorities and creation times (µs), in
 * queue order, and how many of its requests a pass could assign (`assignableHeadSize`).
 */
interface Head {
  requirementSetId: string;
  scopeId: string;
  wanted: number;
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
