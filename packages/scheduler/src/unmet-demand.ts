import { CONNECTED_WORKERS_SQL, type Database } from '@buildfleet/models';
import { mergedMetadata, taskExclusions } from './metadata-tags';
import { QueryTypes } from 'sequelize';
import { satisfies } from './matching';
import { scopePoolOrderSql } from './sql/poolOrder';
import { effectivePrioritySql, queueOrderSql } from './sql/queueOrder';
import { readAndPlanDispatch, waitingSql } from './sql/readDispatchSnapshot';

/** Pending work of one scope and requirement set that no connected worker can take now. */
export interface UnmetDemand {
  scope: string;
  requirementSet: { id: string; key: string; tags: string[]; minimums: Record<string, number> };
  /** How many requests wait, their highest effective priority and the oldest's creation time. */
  pending: number;
  maxPriority: number;
  oldestCreatedAt: string;
  /**
   * The first waiting requests, in queue order: at most `UNMET_DEMAND_LISTED` of them, however
   * many wait (`pending` counts them all).
   */
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
 * How many of a group's waiting requests unmet demand lists: the planner and the pages need the
 * counts, and a result that grew with the backlog (every one of 97,582 ids in the scheduler's 10×
 * bench) is bounded by the number of groups instead.
 */
export const UNMET_DEMAND_LISTED = 100;

/**
 * Plans dispatch without writing (no locks), and describes what would stay unassigned. After a
 * real pass, call `describeUnmetDemand(db)` instead.
 */
export async function getUnmetDemand(db: Database): Promise<UnmetDemand[]> {
  const { assignments } = (await readAndPlanDispatch(db)).plan;
  return describeUnmetDemand(db, { planned: assignments.map((a) => a.workRequestId) });
}

/**
 * The waiting requests (pending, unassigned, except those in `planned`), grouped by scope and
 * requirement set and counted in SQL from the waiting queue's index
 * (`work_requests_waiting_by_group`), with the pools able to serve each group in the order
 * dispatch prefers them (`scopePoolOrderSql`). Highest priority first, then the oldest.
 */
export async function describeUnmetDemand(db: Database, { planned = [] }: { planned?: readonly string[] } = {}): Promise<UnmetDemand[]> {
  // After a real pass nothing is planned (the common case): no filter at all, which saved a
  // third of the statement over 100,000 waiting requests.
  const notPlanned = planned.length ? 'and not exists (select 1 from unnest($2::bigint[]) as planned(id) where planned.id = r.id)' : '';
  const groups = await db.sequelize.query<{
    set_id: string;
    scope_id: string;
    pending: number;
    max_priority: number;
    oldest_created_at: Date;
    ids: string;
  }>(
    // The ids as one string each: the driver parses a text array of 50,000 far more slowly.
    `select g.*, array_to_string(array(select r.id from work_requests r
                        where ${waitingSql('r')} and r.requirement_set_id = g.set_id and r.scope_id = g.scope_id ${notPlanned}
                        order by ${queueOrderSql('r')}
                        limit $1::integer), ',') as ids
       from (select r.requirement_set_id as set_id, r.scope_id, count(*)::int as pending,
                    max(${effectivePrioritySql('r')}) as max_priority, min(r.created_at) as oldest_created_at
               from work_requests r
              where ${waitingSql('r')} ${notPlanned}
              group by r.requirement_set_id, r.scope_id) g
      order by g.max_priority desc, g.oldest_created_at, g.scope_id, g.set_id`,
    { bind: planned.length ? [UNMET_DEMAND_LISTED, planned] : [UNMET_DEMAND_LISTED], type: QueryTypes.SELECT },
  );
  if (!groups.length) return [];
  const scopeIds = [...new Set(groups.map((g) => g.scope_id))];
  const [{ sets, scopes, pools }] = (await db.sequelize.query(
    `select (select json_agg(json_build_object('id', rs.id::text, 'key', rs.key, 'tags', rs.tags, 'minimums', rs.minimums))
               from requirement_sets rs where rs.id = any($1::bigint[])) as sets,
            (select json_agg(json_build_object('id', s.id::text, 'name', s.name)) from scopes s where s.id = any($2::bigint[])) as scopes,
            (select json_agg(json_build_object('scope', r.scope_id::text, 'id', p.id::text, 'name', p.name, 'enabled', p.enabled,
                                               'priority', l.priority, 'instanceWide', p.instance_wide,
                                               'tags', p.capability_tags, 'numeric', p.numeric_tags)
                             order by r.scope_id, r.rank)
               from (${scopePoolOrderSql('$2::bigint[]')}) r
               join worker_pools p on p.id = r.pool_id
               left join scope_worker_pools l on l.worker_pool_id = p.id and l.scope_id = r.scope_id) as pools`,
    { bind: [[...new Set(groups.map((g) => g.set_id))], scopeIds], type: QueryTypes.SELECT },
  )) as [{ sets: DemandSet[]; scopes: { id: string; name: string }[]; pools: RankedPool[] | null }];
  const scopeNames = new Map(scopes.map((s) => [s.id, s.name]));
  const setById = new Map(sets.map((set) => [set.id, set]));
  const poolsByScope = new Map<string, RankedPool[]>();
  for (const pool of pools ?? []) {
    if (!poolsByScope.has(pool.scope)) poolsByScope.set(pool.scope, []);
    poolsByScope.get(pool.scope)!.push(pool);
  }
  // Which pools can serve which set: `satisfies`, the twin of `satisfiesSql`, in memory, once
  // per (set, class of pools advertising the same tags) whatever the number of scopes: pools
  // often differ only by region or size limits (500 pools, 100 sets: 27 → 4 ms).
  const poolClasses = new Map<string, { tags: Set<string>; numeric: Record<string, number>; ids: string[] }>();
  for (const pool of new Map((pools ?? []).map((pool) => [pool.id, pool])).values()) {
    const key = JSON.stringify([pool.tags, pool.numeric]);
    const poolClass = poolClasses.get(key);
    if (poolClass) poolClass.ids.push(pool.id);
    else poolClasses.set(key, { tags: new Set(pool.tags), numeric: pool.numeric, ids: [pool.id] });
  }
  const ablePools = new Map(
    sets.map((set) => [set.id, new Set([...poolClasses.values()].filter((c) => satisfies(c.tags, c.numeric, set)).flatMap((c) => c.ids))]),
  );
  const taskTags = [...new Set(sets.flatMap((set) => set.tags.filter((tag) => tag.startsWith('task:'))))];
  const excluded = await excludedWorkersByTask(db, taskTags);
  return groups.map((group) => {
    const set = setById.get(group.set_id)!;
    const able = ablePools.get(set.id)!;
    return {
      scope: scopeNames.get(group.scope_id)!,
      requirementSet: { id: set.id, key: set.key, tags: set.tags, minimums: set.minimums },
      pending: group.pending,
      maxPriority: group.max_priority,
      oldestCreatedAt: new Date(group.oldest_created_at).toISOString(),
      workRequestIds: group.ids ? group.ids.split(',') : [],
      pools: (poolsByScope.get(group.scope_id) ?? [])
        .filter((pool) => able.has(pool.id))
        .map(({ name, enabled, priority, instanceWide }) => ({ name, enabled, priority, instanceWide })),
      excludedWorkers: set.tags.filter((tag) => tag.startsWith('task:')).flatMap((tag) => excluded.get(tag) ?? []),
    };
  });
}

interface DemandSet {
  id: string;
  key: string;
  tags: string[];
  minimums: Record<string, number>;
}

/** A pool a scope may use, in its order of preference, with what it advertises. */
interface RankedPool {
  scope: string;
  id: string;
  name: string;
  enabled: boolean;
  priority: number | null;
  instanceWide: boolean;
  tags: string[];
  numeric: Record<string, number>;
}

/**
 * For each of `taskTags`, the connected workers that report the task but may not run it (they
 * lack its tag), and why. Only the workers lacking one of those tags are read.
 */
async function excludedWorkersByTask(db: Database, taskTags: string[]): Promise<Map<string, UnmetDemand['excludedWorkers']>> {
  const byTask = new Map<string, UnmetDemand['excludedWorkers']>();
  if (!taskTags.length) return byTask;
  const workers = await db.sequelize.query<{ name: string; tags: string[]; static_metadata: Record<string, unknown>; dynamic_metadata: Record<string, unknown> }>(
    `select w.name, w.tags, w.static_metadata, w.dynamic_metadata
       from workers w join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
      where not (w.tags @> $1::text[])
      order by w.name`,
    { bind: [taskTags], type: QueryTypes.SELECT },
  );
  for (const worker of workers) {
    const metadata = mergedMetadata({ staticMetadata: worker.static_metadata, dynamicMetadata: worker.dynamic_metadata });
    for (const { task, reason } of taskExclusions(metadata)) {
      if (!taskTags.includes(task) || worker.tags.includes(task)) continue;
      byTask.set(task, [...(byTask.get(task) ?? []), { name: worker.name, reason }]);
    }
  }
  return byTask;
}
