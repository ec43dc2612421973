import { ownValue } from '@buildfleet/models';
import { type Decision, drain, hold, type HoldInput, launch, terminate } from './decisions';
import {
  DEFAULT_TARGET_LATENCY_SECONDS,
  DEFAULT_TASK_SECONDS,
  type InstanceState,
  type Plan,
  type PlanningSnapshot,
  type PlanOptions,
  type PlannedDrain,
  type PlannedTermination,
  type PoolState,
  RECENT_STARTS_SECONDS,
} from './interfaces';
import { Reason } from './reasons';
import { planRollout } from './rollout';
import { startOfMonth } from './sql/monthlyUsage';

const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;

/** Idle seconds of an instance: from the later of its start and the last work it completed. */
export function idleSeconds(instance: InstanceState, now: Date): number {
  const since =
    instance.lastCompletedAt && instance.lastCompletedAt > instance.instanceCreatedAt
      ? instance.lastCompletedAt
      : instance.instanceCreatedAt;
  return seconds(since, now);
}

/**
 * Decides what to launch and terminate. Pure: the same snapshot and clock give the same plan.
 *
 * Terminations: a live instance with no pending or running work is terminated when its pool is
 * ephemeral and it completed a request, or when it has been idle longer than `max_idle_seconds`;
 * on an hourly-billed pool only in the last `reapMarginSeconds` of its paid hour, and on a
 * per-second-billed one not while the pool's recent demand would need it again soon
 * (`keptForRecentDemand`).
 * An instance with work, or without an instance id yet, is never terminated here.
 *
 * Draining: once a pool has used its `target_max_seconds_per_month`, its instances with work
 * and those still launching drain (`DrainOverBudget`: dispatch gives them nothing new, so each
 * finishes what it runs) and its instances without work are terminated at once, whatever `max_idle_seconds` and the paid
 * hour say; a budget never buys idle time. When the budget allows work again (a new month, a
 * raised or removed target), the draining ones that are left stop draining (`DrainLifted`).
 * Such a pool has no rollout: its outdated instances are ending anyway.
 *
 * Launches: demand groups are planned highest priority first, then oldest. A group needs
 * `ceil(pending × median task seconds / target latency)` instances, at least 1 and at most its
 * pending count. Instances booting in its pools (live, not connected, no work) cover that need
 * first, since the work will go to them; the rest is launched in its pools in order of
 * preference, each bounded by `max_active_instances` (live instances plus launches planned in
 * this tick) and the pool's and the scope's `target_max_seconds_per_month` (a launch is expected
 * to cost one median task). A disabled, backing-off, full or exhausted pool is skipped with a
 * hold saying why, and the next pool takes the demand.
 *
 * Rollouts: instances launched from another image than their pool's are replaced, idle ones
 * first, see `planRollout`; the replacements count as planned launches of their pool.
 */
export function plan(snapshot: PlanningSnapshot, now: Date, options: PlanOptions = {}): Plan {
  const defaultTaskSeconds = options.defaultTaskSeconds ?? DEFAULT_TASK_SECONDS;
  const defaultTarget = options.defaultTargetLatencySeconds ?? DEFAULT_TARGET_LATENCY_SECONDS;
  const reapMargin = options.reapMarginSeconds ?? 120;
  const pools = new Map(snapshot.pools.map((p) => [p.name, p]));
  const decisions: Decision[] = [];

  const terminations: PlannedTermination[] = [];
  const drains: PlannedDrain[] = [];
  const bootingFree = new Map<string, number>();
  const overBudget = new Set<string>();
  for (const pool of snapshot.pools) {
    const target = pool.limits.target_max_seconds_per_month;
    if (target !== null && pool.usedSeconds >= target) {
      overBudget.add(pool.name);
      const facts = { pool: pool.name, usedSeconds: pool.usedSeconds, targetSeconds: target };
      for (const instance of pool.instances) {
        if (instance.instanceId !== null && instance.activeRequests === 0) {
          decisions.push(terminate(Reason.DrainOverBudget, { ...facts, worker: instance.worker }));
          terminations.push({ pool: pool.name, worker: instance.worker, instanceId: instance.instanceId });
        } else if (!instance.drainingSince) {
          decisions.push(drain(Reason.DrainOverBudget, { ...facts, worker: instance.worker }));
        }
        // Terminated ones drain too, so work dispatched before their termination cannot keep them.
        if (!instance.drainingSince) drains.push({ pool: pool.name, worker: instance.worker, reason: Reason.DrainOverBudget });
      }
      bootingFree.set(pool.name, 0);
      continue;
    }
    for (const instance of pool.instances.filter((i) => i.drainingSince && i.drainingReason === Reason.DrainOverBudget)) {
      decisions.push(drain(Reason.DrainLifted, { pool: pool.name, worker: instance.worker, usedSeconds: pool.usedSeconds, targetSeconds: target }));
      drains.push({ pool: pool.name, worker: instance.worker, reason: null });
    }
    let booting = 0;
    const endings: { instance: InstanceState; decision: Decision }[] = [];
    for (const instance of pool.instances) {
      const ending = instance.instanceId !== null && instance.activeRequests === 0 && terminationFor(pool, instance, now, reapMargin);
      if (ending) endings.push({ instance, decision: ending });
      else if (instance.connectedAt === null && instance.activeRequests === 0) booting++;
    }
    const kept = keptForRecentDemand(pool, endings.filter((e) => e.decision.reason === Reason.IdleTooLong).map((e) => e.instance), now);
    if (kept) decisions.push(kept.decision);
    for (const { instance, decision } of endings) {
      if (kept?.workers.has(instance.worker)) continue;
      decisions.push(decision);
      terminations.push({ pool: pool.name, worker: instance.worker, instanceId: instance.instanceId! });
    }
    bootingFree.set(pool.name, booting);
  }

  const planned = new Map<string, number>();
  const replacing = new Map<string, string[]>();
  for (const pool of snapshot.pools) {
    if (overBudget.has(pool.name)) continue;
    const rollout = planRollout(pool, now, new Set(terminations.filter((t) => t.pool === pool.name).map((t) => t.worker)));
    decisions.push(...rollout.decisions);
    terminations.push(...rollout.terminations);
    drains.push(...rollout.drains);
    if (rollout.replacing.length) {
      planned.set(pool.name, rollout.replacing.length);
      replacing.set(pool.name, rollout.replacing);
    }
  }

  const spent = new Map<string, number>();
  const scopeSpent = new Map<string, number>();
  const holds = new Map<string, HoldInput>();

  const groups = [...snapshot.demand].sort(
    (a, b) => b.maxPriority - a.maxPriority || a.oldestCreatedAt.getTime() - b.oldestCreatedAt.getTime(),
  );
  for (const group of groups) {
    const candidates = group.pools.map((name) => pools.get(name)).filter((p): p is PoolState => p !== undefined);
    if (!candidates.length) {
      decisions.push(hold(Reason.NoCompatiblePool, { scope: group.scope, requirementSet: group.requirementSet, pending: group.pending }));
      continue;
    }
    const taskSeconds = snapshot.medianTaskSeconds[group.requirementSetId] ?? defaultTaskSeconds;
    const target =
      candidates.map((p) => ownValue(p.scopeLimits, group.scope)?.target_latency_seconds).find((t): t is number => typeof t === 'number') ??
      defaultTarget;
    const workSeconds = group.pending * taskSeconds;
    const wanted = Math.min(group.pending, Math.max(1, Math.ceil(workSeconds / target)));
    let needed = wanted;

    for (const pool of candidates) {
      const booting = Math.min(bootingFree.get(pool.name) ?? 0, needed);
      if (booting > 0) {
        bootingFree.set(pool.name, bootingFree.get(pool.name)! - booting);
        needed -= booting;
        holds.set(`booting|${pool.name}|${group.scope}|${group.requirementSet}`, {
          reason: Reason.CoveredByBooting,
          facts: { pool: pool.name, scope: group.scope, requirementSet: group.requirementSet, booting, pending: group.pending },
        });
      }
    }

    for (const pool of candidates) {
      if (needed <= 0) break;
      const scopeKey = `${group.scope}|${pool.name}`;
      const allowance = launchAllowance(pool, {
        now,
        scope: group.scope,
        taskSeconds,
        planned: planned.get(pool.name) ?? 0,
        spentSeconds: spent.get(pool.name) ?? 0,
        scopeSpentSeconds: scopeSpent.get(scopeKey) ?? 0,
        pending: group.pending,
      });
      if ('hold' in allowance) {
        const { key, hold: blocked } = allowance;
        const existing = holds.get(key);
        if (existing) existing.facts.pending += group.pending;
        else holds.set(key, { ...blocked, facts: { ...blocked.facts } } as HoldInput);
        continue;
      }
      const count = Math.min(needed, allowance.allowed);
      needed -= count;
      planned.set(pool.name, (planned.get(pool.name) ?? 0) + count);
      spent.set(pool.name, (spent.get(pool.name) ?? 0) + count * taskSeconds);
      scopeSpent.set(scopeKey, (scopeSpent.get(scopeKey) ?? 0) + count * taskSeconds);
      const common = { pool: pool.name, scope: group.scope, requirementSet: group.requirementSet, count };
      decisions.push(
        wanted > 1
          ? launch(Reason.LaunchForLatency, {
              ...common,
              waitSeconds: workSeconds,
              targetSeconds: target,
              pending: group.pending,
              taskSeconds,
              taskSecondsFrom: Object.hasOwn(snapshot.medianTaskSeconds, group.requirementSetId) ? 'median' : 'default',
            })
          : launch(Reason.LaunchForDemand, { ...common, pending: group.pending }),
      );
    }
  }

  for (const { reason, facts } of holds.values()) decisions.push(hold(reason, facts as never));
  return {
    decisions,
    launches: [...planned].map(([pool, count]) => ({ pool, count, ...(replacing.has(pool) ? { replacing: replacing.get(pool)! } : {}) })),
    terminations,
    drains,
  };
}

function terminationFor(pool: PoolState, instance: InstanceState, now: Date, reapMargin: number): Decision | null {
  if (pool.ephemeral && instance.completedRequests > 0) {
    return terminate(Reason.EphemeralDone, { pool: pool.name, worker: instance.worker });
  }
  const idle = idleSeconds(instance, now);
  if (idle > pool.limits.max_idle_seconds && !keptForPaidPeriod(pool, instance, now, reapMargin)) {
    return terminate(Reason.IdleTooLong, {
      pool: pool.name,
      worker: instance.worker,
      idleSeconds: idle,
      maxIdleSeconds: pool.limits.max_idle_seconds,
    });
  }
  return null;
}

/**
 * Whether an idle instance stays for the rest of a billing period already paid for, where demand
 * may return: on an hourly-billed pool until the last `reapMargin` seconds of the period, as long
 * as the pool's monthly budget (instance seconds), rest of the period included, is on pace; a
 * budget spent on idle hours would be missing for work later in the month.
 */
function keptForPaidPeriod(pool: PoolState, instance: InstanceState, now: Date, reapMargin: number): boolean {
  const period = pool.billingPeriodSeconds ?? null;
  if (period === null) return false;
  const left = period - (seconds(instance.instanceCreatedAt, now) % period);
  const target = pool.limits.target_max_seconds_per_month;
  return left > reapMargin && (target === null || pool.usedSeconds + left <= target * monthElapsed(now));
}

/**
 * Which of a per-second-billed pool's idle instances past `max_idle_seconds` stay for the demand
 * the pool has seen lately, and the hold saying so; null when none does. At the rate work
 * started in the pool in the last `RECENT_STARTS_SECONDS`, about `expected` requests start
 * within `max_idle_seconds`; idle instances not yet past it take the first of them, and as many
 * of the rest as are left are kept, the most recently busy first, rather than terminated and
 * launched again minutes later (a boot billed and waited for each time). Only while the pool's
 * monthly budget, another `max_idle_seconds` per kept instance included, is on pace and would last
 * the month at the pool's current size: a budget that will run out buys work, not idle time,
 * since what it cannot buy waits for next month. Hourly-billed pools keep theirs for the paid hour
 * instead (`keptForPaidPeriod`).
 */
function keptForRecentDemand(
  pool: PoolState,
  idleTooLong: InstanceState[],
  now: Date,
): { workers: Set<string>; decision: Decision } | null {
  if ((pool.billingPeriodSeconds ?? null) !== null || !idleTooLong.length) return null;
  const maxIdle = pool.limits.max_idle_seconds;
  const recentStarts = pool.recentStarts ?? 0;
  const expected = Math.floor((recentStarts * maxIdle) / RECENT_STARTS_SECONDS);
  const spare = pool.instances.filter((i) => i.activeRequests === 0 && i.connectedAt !== null && idleSeconds(i, now) <= maxIdle).length;
  const target = pool.limits.target_max_seconds_per_month;
  const affordable = (count: number) =>
    target === null ||
    (pool.usedSeconds + count * maxIdle <= target * monthElapsed(now) && pool.usedSeconds + pool.instances.length * monthSecondsLeft(now) <= target);
  const workers = new Set<string>();
  const candidates = idleTooLong.filter((i) => i.connectedAt !== null).sort((a, b) => idleSeconds(a, now) - idleSeconds(b, now));
  for (const instance of candidates) {
    if (spare + workers.size >= expected || !affordable(workers.size + 1)) break;
    workers.add(instance.worker);
  }
  if (!workers.size) return null;
  return {
    workers,
    decision: hold(Reason.KeptForRecentDemand, {
      pool: pool.name,
      recentStarts,
      windowSeconds: RECENT_STARTS_SECONDS,
      expectedStarts: expected,
      maxIdleSeconds: maxIdle,
      pending: workers.size,
    }),
  };
}

/** Share of the UTC calendar month gone by at `now`: a budget on pace has used no more than this share. */
function monthElapsed(now: Date): number {
  const start = startOfMonth(now).getTime();
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return (now.getTime() - start) / (end - start);
}

/** Seconds from `now` to the end of its UTC calendar month. */
function monthSecondsLeft(now: Date): number {
  return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000;
}

export interface AllowanceContext {
  now: Date;
  /** The scope the launch serves, for its budget in the pool; null for an admin's launch. */
  scope: string | null;
  /** What one launched instance is expected to cost: one median task. */
  taskSeconds: number;
  /** Launches and their expected seconds already planned in this tick. */
  planned: number;
  spentSeconds: number;
  scopeSpentSeconds: number;
  /** Pending requests that wanted the pool, for the hold's count. */
  pending: number;
}

/**
 * How many instances the pool may launch now, or the hold saying why none: disabled, backing
 * off, at `max_active_instances` (live plus planned), or out of its or the scope's monthly budget.
 */
export function launchAllowance(pool: PoolState, c: AllowanceContext): { allowed: number } | { key: string; hold: HoldInput } {
  const { pending } = c;
  if (!pool.enabled) return { key: `disabled|${pool.name}`, hold: { reason: Reason.PoolDisabled, facts: { pool: pool.name, pending } } };
  const { backoffUntil, consecutiveFailures, lastErrorKind } = pool.health;
  if (backoffUntil && backoffUntil > c.now) {
    return {
      key: `backoff|${pool.name}`,
      hold: {
        reason: Reason.PoolBackingOff,
        facts: { pool: pool.name, until: backoffUntil, failures: consecutiveFailures, lastErrorKind, pending },
      },
    };
  }
  const live = pool.instances.length + c.planned;
  const max = pool.limits.max_active_instances;
  const byInstances = max === null ? Infinity : max - live;
  if (max !== null && byInstances <= 0) {
    return { key: `limit|${pool.name}`, hold: { reason: Reason.PoolAtInstanceLimit, facts: { pool: pool.name, live, max, pending } } };
  }
  const poolTarget = pool.limits.target_max_seconds_per_month;
  const poolUsed = pool.usedSeconds + c.spentSeconds;
  const byPoolBudget = poolTarget === null ? Infinity : Math.floor((poolTarget - poolUsed) / c.taskSeconds);
  if (poolTarget !== null && byPoolBudget <= 0) {
    return {
      key: `budget|${pool.name}`,
      hold: { reason: Reason.PoolBudgetExhausted, facts: { pool: pool.name, usedSeconds: poolUsed, targetSeconds: poolTarget, pending } },
    };
  }
  const scopeTarget = c.scope === null ? null : (ownValue(pool.scopeLimits, c.scope)?.target_max_seconds_per_month ?? null);
  const scopeUsed = (c.scope === null ? 0 : (ownValue(pool.scopeUsedSeconds, c.scope) ?? 0)) + c.scopeSpentSeconds;
  const byScopeBudget = scopeTarget === null ? Infinity : Math.floor((scopeTarget - scopeUsed) / c.taskSeconds);
  if (c.scope !== null && scopeTarget !== null && byScopeBudget <= 0) {
    return {
      key: `scope-budget|${pool.name}|${c.scope}`,
      hold: {
        reason: Reason.ScopeBudgetExhausted,
        facts: { pool: pool.name, scope: c.scope, usedSeconds: scopeUsed, targetSeconds: scopeTarget, pending },
      },
    };
  }
  return { allowed: Math.min(byInstances, byPoolBudget, byScopeBudget) };
}
