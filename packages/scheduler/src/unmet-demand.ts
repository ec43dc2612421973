import { CONNECTED_WORKERS_SQL, type Database } from '@buildfleet/models';
import { mergedMetadata, taskExclusions } from './metadata-tags';
import { QueryTypes } from 'sequelize';
import { planDispatch } from './plan-dispatch';
import { satisfiesSql } from './sql/matching';
import { scopePoolOrderSql } from './sql/poolOrder';
import { effectivePrioritySql, queueOrderSql } from './sql/queueOrder';
import { readDispatchSnapshot, waitingSql } from './sql/readDispatchSnapshot';

/** Pending work of one scope and requirement set that no connected worker can take now. */
export interface UnmetDemand {
  scope: string;
  requirementSet: { id: string; key: string; tags: string[]; minimums: Record<string, number> };
  /** How many requests wait, their highest effective priority and the oldest's creation time. */
  pending: number;
  maxPriority: number;
  oldestCreatedAt: string;
  /** The waiting requests, in queue order. */
  workRequestIds: string[];
  /**
   * Pools whose instances could run this work for this scope, preferred first, in the order
   * dispatch prefers them (`scopePoolOrderSql`). Disabled pools are listed, marked so,
   * so that the planner can say why it does not use them.
   */
  pools: { name: string; enabled: boolean; priority: number | null; instanceWide: boolean }[];
  /**
   * Connected workers that report this work's task but may not run it, with why: a task
   * version other than buildfleet's (a fleet running mixed worker versions), or their allow or
   * deny list (`taskExclusions`).
   */
  excludedWorkers: { name: string; reason: string }[];
}

/**
 * Plans dispatch without writing (no locks), and describes what would stay unassigned. After a
 * real pass, call `describeUnmetDemand(db)` instead.
 */
export async function getUnmetDemand(db: Database): Promise<UnmetDemand[]> {
  const { assignments } = planDispatch(await readDispatchSnapshot(db, { lock: false }));
  return describeUnmetDemand(db, { planned: assignments.map((a) => a.workRequestId) });
}

/**
 * The waiting requests (pending, unassigned, except those in `planned`), grouped by scope and
 * requirement set and counted in SQL, with the pools able to serve each group, in one statement.
 * Highest priority first, then the oldest.
 */
export async function describeUnmetDemand(db: Database, { planned = [] }: { planned?: readonly string[] } = {}): Promise<UnmetDemand[]> {
  const rows = await db.sequelize.query<{
    scope: string;
    set_id: string;
    key: string;
    tags: string[];
    minimums: Record<string, number>;
    pending: number;
    max_priority: number;
    oldest_created_at: Date;
    ids: string[];
    pools: UnmetDemand['pools'] | null;
  }>(
    `with wanted as materialized (
       select r.scope_id, r.requirement_set_id as set_id, count(*)::int as pending,
              max(${effectivePrioritySql('r')}) as max_priority, min(r.created_at) as oldest_created_at,
              array_agg(r.id::text order by ${queueOrderSql('r')}) as ids
         from work_requests r
        where ${waitingSql('r')}
          and not exists (select 1 from unnest($1::bigint[]) as planned(id) where planned.id = r.id)
        group by r.scope_id, r.requirement_set_id
     ), able as materialized (
       select rs.id as set_id, p.id as pool_id
         from requirement_sets rs, worker_pools p
        where rs.id in (select set_id from wanted) and ${satisfiesSql('p.capability_tags', 'p.numeric_tags', 'rs')}
     ), ranked as materialized (${scopePoolOrderSql('(select array_agg(distinct scope_id) from wanted)::bigint[]')}
     ), pools as (
       select r.scope_id, a.set_id,
              json_agg(json_build_object('name', p.name, 'enabled', p.enabled, 'priority', l.priority,
                                         'instanceWide', p.instance_wide)
                       order by r.rank) as pools
         from able a
         join ranked r on r.pool_id = a.pool_id
         join worker_pools p on p.id = a.pool_id
         left join scope_worker_pools l on l.worker_pool_id = p.id and l.scope_id = r.scope_id
        group by r.scope_id, a.set_id
     )
     select s.name as scope, w.set_id, rs.key, rs.tags, rs.minimums, w.pending, w.max_priority,
            w.oldest_created_at, w.ids, pools.pools
       from wanted w
       join scopes s on s.id = w.scope_id
       left join pools on pools.scope_id = w.scope_id and pools.set_id = w.set_id
       join requirement_sets rs on rs.id = w.set_id
      order by w.max_priority desc, w.oldest_created_at, w.scope_id, w.set_id`,
    { bind: [planned], type: QueryTypes.SELECT },
  );
  if (!rows.length) return [];
  const excluded = await excludedWorkersByTask(db);
  return rows.map((row) => ({
    scope: row.scope,
    requirementSet: { id: row.set_id, key: row.key, tags: row.tags, minimums: row.minimums },
    pending: row.pending,
    maxPriority: row.max_priority,
    oldestCreatedAt: new Date(row.oldest_created_at).toISOString(),
    workRequestIds: row.ids,
    pools: row.pools ?? [],
    excludedWorkers: row.tags.filter((tag) => tag.startsWith('task:')).flatMap((tag) => excluded.get(tag) ?? []),
  }));
}

/** For each task tag, the connected workers that report the task but may not run it, and why. */
async function excludedWorkersByTask(db: Database): Promise<Map<string, UnmetDemand['excludedWorkers']>> {
  const workers = await db.sequelize.query<{ name: string; static_metadata: Record<string, unknown>; dynamic_metadata: Record<string, unknown> }>(
    `select w.name, w.static_metadata, w.dynamic_metadata
       from workers w join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
      order by w.name`,
    { type: QueryTypes.SELECT },
  );
  const byTask = new Map<string, UnmetDemand['excludedWorkers']>();
  for (const worker of workers) {
    const metadata = mergedMetadata({ staticMetadata: worker.static_metadata, dynamicMetadata: worker.dynamic_metadata });
    for (const { task, reason } of taskExclusions(metadata)) {
      byTask.set(task, [...(byTask.get(task) ?? []), { name: worker.name, reason }]);
    }
  }
  return byTask;
}
