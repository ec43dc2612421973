import { billingPeriodSeconds, type DemandGroup, plan, type PlanOptions, type PoolState } from '@buildfleet/provisioner';
import { type FleetView, type Policy, type PolicyActions } from './fleet';

/** buildfleet's own policy: the provisioner's real, pure `plan(snapshot, now)`. */
export function buildfleetPolicy(options: PlanOptions = {}): Policy {
  return {
    name: 'buildfleet',
    settings: {},
    decide(view) {
      const groups = new Map<string, DemandGroup>();
      for (const job of view.pending) {
        const group = groups.get(job.group);
        if (group) {
          group.pending++;
          group.maxPriority = Math.max(group.maxPriority, job.trace.priority);
          if (job.arrival < group.oldestCreatedAt.getTime()) group.oldestCreatedAt = new Date(job.arrival);
        } else {
          groups.set(job.group, {
            scope: job.trace.scope,
            requirementSetId: job.setKey,
            requirementSet: job.setKey,
            pending: 1,
            maxPriority: job.trace.priority,
            oldestCreatedAt: new Date(job.arrival),
            pools: [...view.poolsFor(job)],
          });
        }
      }
      const medianTaskSeconds: Record<string, number> = {};
      for (const group of groups.values()) {
        const median = view.medianTaskSeconds(group.requirementSetId);
        if (median !== undefined) medianTaskSeconds[group.requirementSetId] = median;
      }
      const pools: PoolState[] = [...view.pools.values()].map((pool) => {
        const usage = view.monthlyUsage(pool.name);
        const scopeLimits: PoolState['scopeLimits'] = {};
        for (const scope of view.scopes.values()) {
          const limits = scope.limits.get(pool.name);
          if (limits) scopeLimits[scope.name] = limits;
        }
        return {
          name: pool.name,
          enabled: pool.enabled ?? true,
          ephemeral: pool.ephemeral ?? false,
          image: null,
          limits: pool.limits,
          scopeLimits,
          health: (({ consecutiveFailures, backoffUntil }) => ({
            consecutiveFailures,
            backoffUntil: backoffUntil === null ? null : new Date(backoffUntil),
            lastErrorKind: consecutiveFailures ? 'capacity' : null,
          }))(view.health(pool.name)),
          billingPeriodSeconds: billingPeriodSeconds(pool.billing),
          usedSeconds: usage.usedSeconds,
          recentStarts: view.recentStarts(pool.name),
          scopeUsedSeconds: usage.scopeUsedSeconds,
          instances: view.live(pool.name).map((i) => ({
            worker: i.worker,
            instanceId: i.instanceId,
            instanceCreatedAt: new Date(i.launchedAt),
            connectedAt: i.connectedAt === null ? null : new Date(i.connectedAt),
            image: null,
            replaces: null,
            activeRequests: i.job === null ? 0 : 1,
            completedRequests: i.completed,
            lastCompletedAt: i.lastCompletedAt === null ? null : new Date(i.lastCompletedAt),
            drainingSince: i.drainingSince === null ? null : new Date(i.drainingSince),
            drainingReason: i.drainingReason,
          })),
        };
      });
      const result = plan({ demand: [...groups.values()], pools, medianTaskSeconds }, new Date(view.now), options);
      return {
        launches: result.launches.map(({ pool, count }) => ({ pool, count })),
        terminations: result.terminations.map((t) => t.worker),
        drains: result.drains.map(({ worker, reason }) => ({ worker, reason })),
        decisions: result.decisions.map((d) => ({ kind: d.kind, reason: d.reason, pool: d.pool, count: d.count, message: d.message })),
      };
    },
  };
}

/** A fixed fleet: `instances` always-on instances per pool (at most its `max_active_instances`), replaced when lost. */
export function staticPolicy({ instances }: { instances: number }): Policy {
  return {
    name: 'static',
    settings: { instances },
    decide(view) {
      const actions: PolicyActions = { launches: [], terminations: [], decisions: [] };
      for (const pool of view.pools.values()) {
        const want = Math.min(instances, pool.limits.max_active_instances ?? Infinity) - view.live(pool.name).length;
        if (want > 0) {
          actions.launches.push({ pool: pool.name, count: want });
          actions.decisions.push({ kind: 'launch', reason: 'StaticFleet', pool: pool.name, count: want });
        }
      }
      return actions;
    },
  };
}

/**
 * Pending jobs by the pool that would take them: in queue order, the first of their scope's able
 * pools with room left, room being `max_active_instances` less the busy instances and the jobs
 * already counted there. A full pool's runner takes no more jobs; the next one does.
 */
function pendingByPoolWithRoom(view: FleetView): Map<string, number> {
  const room = new Map([...view.pools.values()].map((p) => [p.name, (p.limits.max_active_instances ?? Infinity) - view.live(p.name).filter((i) => i.job !== null).length]));
  const byPool = new Map<string, number>();
  for (const job of view.pending) {
    const pool = view.poolsFor(job).find((p) => room.get(p)! > 0);
    if (pool === undefined) continue;
    room.set(pool, room.get(pool)! - 1);
    byPool.set(pool, (byPool.get(pool) ?? 0) + 1);
  }
  return byPool;
}

export interface TaskscalerSettings {
  /** Idle instances kept ready. */
  idle_count: number;
  /** Extra idle capacity as a share of the instances in use. */
  scale_factor: number;
  /** Seconds an instance beyond `idle_count` may stay idle. */
  idle_time: number;
  /** At most this many idle instances from `scale_factor`. (Default: no limit) */
  scale_factor_limit?: number;
}

/**
 * GitLab's taskscaler (fleeting): per pool, capacity = in use + max(idle_count,
 * min(ceil(scale_factor × in use), scale_factor_limit)), where in use counts busy instances and
 * the jobs waiting for this pool (`pendingByPoolWithRoom`: a job its preferred pools have no room
 * for waits for the next); bounded by `max_active_instances`. Instances idle longer than
 * `idle_time` are removed while more than `idle_count` are idle. No budgets.
 */
export function taskscalerPolicy(settings: TaskscalerSettings): Policy {
  return {
    name: 'taskscaler',
    settings: { ...settings },
    decide(view) {
      const actions: PolicyActions = { launches: [], terminations: [], decisions: [] };
      const waiting = pendingByPoolWithRoom(view);
      for (const pool of view.pools.values()) {
        const instances = view.live(pool.name);
        const busy = instances.filter((i) => i.job !== null).length;
        const inUse = busy + (waiting.get(pool.name) ?? 0);
        const idleWanted = Math.max(settings.idle_count, Math.min(Math.ceil(settings.scale_factor * inUse), settings.scale_factor_limit ?? Infinity));
        const desired = Math.min(inUse + idleWanted, pool.limits.max_active_instances ?? Infinity);
        if (desired > instances.length) {
          actions.launches.push({ pool: pool.name, count: desired - instances.length });
          actions.decisions.push({ kind: 'launch', reason: 'TaskscalerCapacity', pool: pool.name, count: desired - instances.length });
          continue;
        }
        const idle = instances.filter((i) => i.job === null && i.connectedAt !== null);
        let surplus = idle.length - settings.idle_count;
        for (const instance of [...idle].sort((a, b) => view.idleSeconds(b) - view.idleSeconds(a))) {
          if (surplus <= 0 || view.idleSeconds(instance) <= settings.idle_time) break;
          actions.terminations.push(instance.worker);
          actions.decisions.push({ kind: 'terminate', reason: 'TaskscalerIdleTime', pool: pool.name, count: 1 });
          surplus--;
        }
      }
      return actions;
    },
  };
}

export interface KarpenterSettings {
  /** Seconds an empty instance lives before it is consolidated away. */
  consolidate_after: number;
  /** Seconds between decisions: Karpenter batches pending pods for about this long. (Default: 10) */
  batch_seconds?: number;
}

/**
 * Karpenter-like: each batch, one instance per pending job not covered by a booting instance,
 * in the cheapest compatible pool with room (by hourly price); empty instances go after
 * `consolidate_after`. Only pool instance limits apply.
 */
export function karpenterPolicy(settings: KarpenterSettings): Policy {
  return {
    name: 'karpenter',
    settings: { ...settings },
    tickSeconds: settings.batch_seconds ?? 10,
    decide(view) {
      const actions: PolicyActions = { launches: [], terminations: [], decisions: [] };
      const booting = new Map<string, number>();
      const room = new Map<string, number>();
      for (const pool of view.pools.values()) {
        const instances = view.live(pool.name);
        booting.set(pool.name, instances.filter((i) => i.connectedAt === null).length);
        room.set(pool.name, (pool.limits.max_active_instances ?? Infinity) - instances.length);
        for (const instance of instances) {
          if (instance.job === null && instance.connectedAt !== null && view.idleSeconds(instance) >= settings.consolidate_after) {
            actions.terminations.push(instance.worker);
            actions.decisions.push({ kind: 'terminate', reason: 'ConsolidatedEmpty', pool: pool.name, count: 1 });
          }
        }
      }
      const launches = new Map<string, number>();
      for (const job of view.pending) {
        const able = view.poolsFor(job);
        const covering = able.find((p) => booting.get(p)! > 0);
        if (covering !== undefined) {
          booting.set(covering, booting.get(covering)! - 1);
          continue;
        }
        const cheapest = [...able]
          .filter((p) => room.get(p)! > 0)
          .sort((a, b) => view.pools.get(a)!.price.hourly - view.pools.get(b)!.price.hourly || a.localeCompare(b))[0];
        if (cheapest === undefined) continue;
        room.set(cheapest, room.get(cheapest)! - 1);
        launches.set(cheapest, (launches.get(cheapest) ?? 0) + 1);
      }
      for (const [pool, count] of launches) {
        actions.launches.push({ pool, count });
        actions.decisions.push({ kind: 'launch', reason: 'UnplacedJobs', pool, count });
      }
      return actions;
    },
  };
}
