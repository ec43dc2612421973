import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { planDispatch } from './plan-dispatch';
import { satisfiesSql } from './sql/matching';
import { readDispatchSnapshot } from './sql/readDispatchSnapshot';

/** Pending work of one scope and requirement set that no connected worker can take now. */
export interface UnmetDemand {
  scope: string;
  requirementSet: { id: string; key: string; tags: string[]; minimums: Record<string, number> };
  /** How many requests wait, their highest effective priority and the oldest's creation time. */
  pending: number;
  maxPriority: number;
  oldestCreatedAt: string;
  workRequestIds: string[];
  /**
   * Pools whose instances could run this work for this scope, preferred first: pools the scope
   * links by priority, then other instance-wide pools. Disabled pools are listed, marked so,
   * so that the planner can say why it does not use them.
   */
  pools: { name: string; enabled: boolean; priority: number | null; instanceWide: boolean }[];
}

/**
 * Runs the dispatch plan without writing (no locks), and groups what stays unassigned by
 * scope and requirement set, with the pools able to serve each group. Two statements beyond
 * the snapshot's, whatever the size of the queue.
 */
export async function getUnmetDemand(db: Database): Promise<UnmetDemand[]> {
  const snapshot = await readDispatchSnapshot(db, { lock: false });
  const { unassigned } = planDispatch(snapshot);
  if (!unassigned.length) return [];
  const rows = await db.sequelize.query<{
    scope: string;
    set_id: string;
    key: string;
    tags: string[];
    minimums: Record<string, number>;
    pending: number;
    max_priority: number;
    oldest: Date;
    ids: string[];
    pools: UnmetDemand['pools'] | null;
  }>(
    `with unmet as (
       select r.scope_id, r.requirement_set_id, count(*)::int as pending,
              max(r.priority_base + r.priority_adjustment) as max_priority, min(r.created_at) as oldest,
              array_agg(r.id order by r.priority_base + r.priority_adjustment desc, r.created_at, r.id) as ids
         from work_requests r where r.id = any($1::bigint[])
        group by r.scope_id, r.requirement_set_id
     )
     select s.name as scope, rs.id as set_id, rs.key, rs.tags, rs.minimums, u.pending, u.max_priority,
            u.oldest, u.ids,
            (select json_agg(json_build_object('name', p.name, 'enabled', p.enabled, 'priority', l.priority,
                                               'instanceWide', p.instance_wide)
                             order by l.priority desc nulls last, p.name)
               from worker_pools p
               left join scope_worker_pools l on l.worker_pool_id = p.id and l.scope_id = u.scope_id
              where (p.instance_wide or l.id is not null)
                and ${satisfiesSql('p.capability_tags', 'p.numeric_tags', 'rs')}) as pools
       from unmet u
       join scopes s on s.id = u.scope_id
       join requirement_sets rs on rs.id = u.requirement_set_id
      order by u.max_priority desc, u.oldest`,
    { bind: [unassigned], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    scope: r.scope,
    requirementSet: { id: r.set_id, key: r.key, tags: r.tags, minimums: r.minimums },
    pending: r.pending,
    maxPriority: r.max_priority,
    oldestCreatedAt: r.oldest.toISOString(),
    workRequestIds: r.ids,
    pools: r.pools ?? [],
  }));
}
