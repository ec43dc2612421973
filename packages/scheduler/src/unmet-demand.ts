import { CONNECTED_WORKERS_SQL, type Database } from '@buildfleet/models';
import { mergedMetadata, taskExclusions } from './metadata-tags';
import { QueryTypes } from 'sequelize';
import { planDispatch } from './plan-dispatch';
import { satisfiesSql } from './sql/matching';
import { scopePoolOrderSql } from './sql/poolOrder';
import { type QueuedRequest, readDispatchSnapshot } from './sql/readDispatchSnapshot';

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
 * Plans dispatch without writing (no locks), and describes what stays unassigned. After a
 * real pass, call `describeUnmetDemand` with its `unassigned` instead.
 */
export async function getUnmetDemand(db: Database): Promise<UnmetDemand[]> {
  return describeUnmetDemand(db, planDispatch(await readDispatchSnapshot(db, { lock: false })).unassigned);
}

/**
 * Groups unassigned requests (in queue order) by scope and requirement set, and finds the pools
 * able to serve each group in one statement over the distinct sets and scopes.
 */
export async function describeUnmetDemand(db: Database, unassigned: readonly QueuedRequest[]): Promise<UnmetDemand[]> {
  if (!unassigned.length) return [];
  const groups = new Map<string, { scopeId: string; setId: string; requests: QueuedRequest[] }>();
  for (const request of unassigned) {
    const key = `${request.scopeId}:${request.requirementSetId}`;
    if (!groups.has(key)) groups.set(key, { scopeId: request.scopeId, setId: request.requirementSetId, requests: [] });
    groups.get(key)!.requests.push(request);
  }
  const pairs = [...groups.values()];
  const rows = await db.sequelize.query<{
    scope_id: string;
    set_id: string;
    scope: string;
    key: string;
    tags: string[];
    minimums: Record<string, number>;
    pools: UnmetDemand['pools'] | null;
  }>(
    `with wanted as (
       select distinct * from unnest($1::bigint[], $2::bigint[]) as w(scope_id, set_id)
     ), able as materialized (
       select rs.id as set_id, p.id as pool_id
         from requirement_sets rs, worker_pools p
        where rs.id in (select set_id from wanted) and ${satisfiesSql('p.capability_tags', 'p.numeric_tags', 'rs')}
     ), ranked as (${scopePoolOrderSql('$1::bigint[]')}
     ), pools as (
       select w.scope_id, w.set_id,
              json_agg(json_build_object('name', p.name, 'enabled', p.enabled, 'priority', l.priority,
                                         'instanceWide', p.instance_wide)
                       order by r.rank) as pools
         from wanted w
         join able a on a.set_id = w.set_id
         join ranked r on r.scope_id = w.scope_id and r.pool_id = a.pool_id
         join worker_pools p on p.id = a.pool_id
         left join scope_worker_pools l on l.worker_pool_id = p.id and l.scope_id = w.scope_id
        group by w.scope_id, w.set_id
     )
     select w.scope_id, w.set_id, s.name as scope, rs.key, rs.tags, rs.minimums, pools.pools
       from wanted w
       join scopes s on s.id = w.scope_id
       left join pools on pools.scope_id = w.scope_id and pools.set_id = w.set_id
       join requirement_sets rs on rs.id = w.set_id`,
    { bind: [pairs.map((p) => p.scopeId), pairs.map((p) => p.setId)], type: QueryTypes.SELECT },
  );
  const described = new Map(rows.map((r) => [`${r.scope_id}:${r.set_id}`, r]));
  const excluded = await excludedWorkersByTask(db);
  return pairs
    .map((group) => {
      const row = described.get(`${group.scopeId}:${group.setId}`)!;
      return {
        scope: row.scope,
        requirementSet: { id: row.set_id, key: row.key, tags: row.tags, minimums: row.minimums },
        pending: group.requests.length,
        maxPriority: Math.max(...group.requests.map((r) => r.priority)),
        oldestCreatedAt: new Date(Math.min(...group.requests.map((r) => r.createdAt.getTime()))).toISOString(),
        workRequestIds: group.requests.map((r) => r.id),
        pools: row.pools ?? [],
        excludedWorkers: row.tags.filter((tag) => tag.startsWith('task:')).flatMap((tag) => excluded.get(tag) ?? []),
      };
    })
    .sort((a, b) => b.maxPriority - a.maxPriority || a.oldestCreatedAt.localeCompare(b.oldestCreatedAt));
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
