import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { satisfiesSql, servesScopeSql, WORKER_NUMERIC, WORKER_TAGS } from './matching';

/** What one dispatch pass decides over: the queue, free workers, and who may take which group. */
export interface DispatchSnapshot {
  /** Pending unassigned requests, highest effective priority first, then oldest. */
  requests: { id: string; requirementSetId: string; scopeId: string }[];
  /** Free slots of each connected, enabled worker with capacity left. */
  freeSlots: Map<string, number>;
  /**
   * For each `<requirementSetId>:<scopeId>` group, the free workers able to take its requests,
   * in order of preference: static workers, then pools the scope links by priority, then other
   * instance-wide pools; then earliest connected.
   */
  candidates: Map<string, string[]>;
}

export const groupKey = (requirementSetId: string, scopeId: string) => `${requirementSetId}:${scopeId}`;

/**
 * Reads the snapshot in three statements. With `lock`, the free workers are locked
 * (`for update skip locked`), so concurrent passes work on disjoint workers and none goes over
 * capacity; requests are claimed later by a guarded update.
 */
export async function readDispatchSnapshot(
  db: Database,
  { transaction, lock }: { transaction?: Transaction; lock: boolean },
): Promise<DispatchSnapshot> {
  const workers = await db.sequelize.query<{ id: string; free_slots: number }>(
    `with available as (
       select w.id, w.concurrency from workers w
         join tokens t on t.id = w.token_id and t.enabled
        where w.connected_at is not null
        ${lock ? 'for update of w skip locked' : ''}
     )
     select a.id, a.concurrency - count(r.id)::int as free_slots
       from available a
       left join work_requests r on r.worker_id = a.id and r.status in ('pending', 'running')
      group by a.id, a.concurrency
     having a.concurrency > count(r.id)`,
    { type: QueryTypes.SELECT, transaction },
  );
  const requests = await db.sequelize.query<{ id: string; requirement_set_id: string; scope_id: string }>(
    `select id, requirement_set_id, scope_id from work_requests
      where status = 'pending' and worker_id is null and requirement_set_id is not null
      order by priority_base + priority_adjustment desc, created_at, id`,
    { type: QueryTypes.SELECT, transaction },
  );
  const freeSlots = new Map(workers.map((w) => [w.id, w.free_slots]));
  const candidates = new Map<string, string[]>();
  if (workers.length && requests.length) {
    const groups = await db.sequelize.query<{ requirement_set_id: string; scope_id: string; workers: string[] }>(
      `with groups as (
         select distinct requirement_set_id, scope_id from work_requests
          where status = 'pending' and worker_id is null and requirement_set_id is not null
       )
       select g.requirement_set_id, g.scope_id,
              array_agg(w.id order by w.worker_pool_id is not null, l.priority desc nulls last, p.id, w.connected_at, w.id)
                as workers
         from groups g
         join requirement_sets rs on rs.id = g.requirement_set_id
         join workers w on w.id = any($1::bigint[])
         left join worker_pools p on p.id = w.worker_pool_id
         left join scope_worker_pools l on l.worker_pool_id = p.id and l.scope_id = g.scope_id
        where ${satisfiesSql(WORKER_TAGS, WORKER_NUMERIC, 'rs')} and ${servesScopeSql('g.scope_id')}
        group by g.requirement_set_id, g.scope_id`,
      { bind: [workers.map((w) => w.id)], type: QueryTypes.SELECT, transaction },
    );
    for (const group of groups) candidates.set(groupKey(group.requirement_set_id, group.scope_id), group.workers);
  }
  return {
    requests: requests.map((r) => ({ id: r.id, requirementSetId: r.requirement_set_id, scopeId: r.scope_id })),
    freeSlots,
    candidates,
  };
}
