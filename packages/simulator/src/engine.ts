import { requirementKey, type Requirements } from '@buildfleet/models';
import { backoffSeconds, idleSeconds, TICK_DEFAULTS } from '@buildfleet/provisioner';
import { assignableHeadSize, type DispatchSnapshot, planDispatch, satisfies, STATIC } from '@buildfleet/scheduler';
import { bill } from './billing';
import { type FleetView, type Policy, type PolicyDecision, type SimInstance, type SimJob } from './fleet';
import { EventQueue } from './heap';
import { RecentRuns } from './recent-runs';
import { RecentStarts } from './recent-starts';
import { UsageBook } from './usage';
import { Random } from './random';
import { resolveScenario, type Scenario } from './scenario';
import { jobRequirements, type Trace } from './trace';

/** An instance's life as the metrics need it. */
export interface InstanceRecord {
  pool: string;
  launchedAt: number;
  connectedAt: number | null;
  endedAt: number;
  jobs: number;
  busyMs: number;
  billedSeconds: number;
  cost: number;
  /** Launched within the churn window after a termination in the same pool. */
  relaunch: boolean;
  /** Terminated while running work. */
  busyKill: boolean;
}

export interface SimulationRun {
  policy: { name: string; settings: Record<string, number> };
  start: number;
  end: number;
  jobs: SimJob[];
  instances: InstanceRecord[];
  launchFailures: Record<string, number>;
  /** Decisions by `kind:reason`, overall and per pool. */
  decisions: Record<string, number>;
  /** Every decision with the instant it was taken, in order; empty unless `logDecisions`. */
  decisionLog: LoggedDecision[];
  decisionsByPool: Record<string, Record<string, number>>;
  /** Instance seconds per pool per UTC month (month start ISO → seconds), and task seconds per pool, scope and month. */
  poolMonthSeconds: Record<string, Record<string, number>>;
  scopeMonthSeconds: Record<string, Record<string, Record<string, number>>>;
  /** Pending jobs, live instances by pool, and cost so far, sampled every hour. */
  samples: { at: number; pending: number; live: Record<string, number>; cost: number }[];
  /** Jobs skipped because the scenario has no such scope. */
  skippedJobs: number;
}

export interface RunOptions {
  /** A launch within this many seconds of a termination in the same pool counts as a relaunch. (Default: 600) */
  churnWindowSeconds?: number;
  /** Called about every simulated day with the share done. */
  onProgress?: (done: number) => void;
  /** Keep every decision with its instant in `decisionLog`, e.g. to compare with the real tick's. (Default: false) */
  logDecisions?: boolean;
}

/** A decision and when it was taken (epoch ms). */
export interface LoggedDecision extends PolicyDecision {
  at: number;
}

type Event = { kind: 'arrival'; job: number } | { kind: 'ready'; worker: string } | { kind: 'finish'; worker: string; job: number } | { kind: 'tick' };

/** Days the replay keeps going after the trace's end to let queued work finish. */
const DRAIN_DAYS = 7;

/**
 * Replays `trace` on a simulated clock: every arrival, connect and completion runs the
 * scheduler's real `planDispatch`, and every tick asks the policy what to launch and terminate.
 * Simulated providers boot, fail and bill instances. Nothing sleeps; the run is deterministic.
 */
export function simulate(trace: Trace, scenario: Scenario, policy: Policy, options: RunOptions = {}): SimulationRun {
  const { pools, scopes } = resolveScenario(scenario);
  const random = new Random(scenario.seed ?? 1);
  const churnMs = (options.churnWindowSeconds ?? 600) * 1000;
  const tickMs = (policy.tickSeconds ?? scenario.tickSeconds ?? 60) * 1000;
  const start = Date.parse(trace.meta.start);
  const lastArrival = trace.jobs.length ? trace.jobs[trace.jobs.length - 1]!.at : 0;
  const horizon = start + Math.max(lastArrival, (trace.meta.days ?? 0) * 86400) * 1000;

  const requirementsByKey = new Map<string, Requirements>();
  const jobs: SimJob[] = [];
  let skippedJobs = 0;
  for (const job of trace.jobs) {
    if (!scopes.has(job.scope)) {
      skippedJobs++;
      continue;
    }
    const requirements = jobRequirements(job);
    const setKey = requirementKey(requirements);
    requirementsByKey.set(setKey, requirements);
    jobs.push({ index: jobs.length, trace: job, setKey, group: `${job.scope}|${setKey}`, arrival: start + job.at * 1000, start: null, end: null, pool: null, aborted: 0 });
  }
  const poolsForCache = new Map<string, string[]>();
  const poolsFor = (job: SimJob): string[] => {
    let found = poolsForCache.get(job.group);
    if (!found) {
      const requirements = requirementsByKey.get(job.setKey)!;
      found = scopes.get(job.trace.scope)!.pools.filter((name) => {
        const pool = pools.get(name)!;
        return satisfies(pool.capabilityTags, pool.numericTags, requirements);
      });
      poolsForCache.set(job.group, found);
    }
    return found;
  };

  const faults = trace.faults.map((f) => ({ pool: f.pool, from: start + f.at * 1000, until: start + f.until * 1000 }));
  const live = new Map<string, Map<string, SimInstance>>([...pools.keys()].map((p) => [p, new Map()]));
  const free = new Set<string>();
  const starts = new RecentStarts();
  const instances = new Map<string, SimInstance>();
  const records: InstanceRecord[] = [];
  const relaunched = new Set<string>();
  const lastTermination = new Map<string, number>();
  const nextNumber = new Map<string, number>();
  const launchFailures: Record<string, number> = {};
  const health = new Map<string, { consecutiveFailures: number; backoffUntil: number | null }>();
  const decisions = new Map<string, number>();
  const decisionsByPool = new Map<string, Map<string, number>>();
  const decisionLog: LoggedDecision[] = [];
  const book = new UsageBook();
  const runs = new RecentRuns();
  const samples: SimulationRun['samples'] = [];
  let pending: SimJob[] = [];
  let running = 0;
  let cost = 0;
  let now = start;

  const queueBefore = (a: SimJob, b: SimJob) =>
    b.trace.priority - a.trace.priority || a.arrival - b.arrival || a.index - b.index;
  const enqueue = (job: SimJob) => {
    let lo = 0;
    let hi = pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (queueBefore(pending[mid]!, job) < 0) lo = mid + 1;
      else hi = mid;
    }
    pending.splice(lo, 0, job);
  };

  const events = new EventQueue<Event>();
  for (const job of jobs) events.push(job.arrival, { kind: 'arrival', job: job.index });
  events.push(start, { kind: 'tick' });

  const dispatch = () => {
    if (!free.size || !pending.length) return;
    const snapshot: DispatchSnapshot = { requests: [], freeSlots: new Map(), eligible: new Map(), poolOrder: new Map() };
    const freeByPool = new Map<string, string[]>();
    for (const worker of free) {
      const instance = instances.get(worker)!;
      snapshot.freeSlots.set(worker, 1);
      freeByPool.set(instance.pool, [...(freeByPool.get(instance.pool) ?? []), worker]);
    }
    for (const workers of freeByPool.values()) {
      workers.sort((a, b) => instances.get(a)!.connectedAt! - instances.get(b)!.connectedAt! || a.localeCompare(b));
    }
    for (const job of pending) {
      if (!snapshot.eligible.has(job.setKey)) {
        const requirements = requirementsByKey.get(job.setKey)!;
        const byPool = new Map<string, string[]>();
        for (const [name, workers] of freeByPool) {
          const pool = pools.get(name)!;
          if (satisfies(pool.capabilityTags, pool.numericTags, requirements)) byPool.set(name, workers);
        }
        snapshot.eligible.set(job.setKey, byPool);
      }
      if (!snapshot.poolOrder.has(job.trace.scope)) snapshot.poolOrder.set(job.trace.scope, [STATIC, ...scopes.get(job.trace.scope)!.pools]);
    }
    // As the scheduler reads its queue: only each group's assignable head goes to planDispatch.
    const headSize = assignableHeadSize(snapshot);
    const left = new Map<string, number>();
    for (const job of pending) {
      const head = left.get(job.group) ?? headSize(job.setKey, job.trace.scope);
      left.set(job.group, head - 1);
      if (head <= 0) continue;
      snapshot.requests.push({ id: String(job.index), requirementSetId: job.setKey, scopeId: job.trace.scope });
    }
    if (!snapshot.requests.length) return;
    const { assignments } = planDispatch(snapshot);
    if (!assignments.length) return;
    const taken = new Set<number>();
    for (const { workRequestId, workerId } of assignments) {
      const job = jobs[Number(workRequestId)]!;
      const instance = instances.get(workerId)!;
      taken.add(job.index);
      free.delete(workerId);
      instance.job = job.index;
      job.start = now;
      job.pool = instance.pool;
      starts.add(instance.pool, now);
      running++;
      events.push(now + job.trace.duration * 1000, { kind: 'finish', worker: workerId, job: job.index });
    }
    pending = pending.filter((job) => !taken.has(job.index));
  };

  const monthlyUsage = (pool: string) =>
    book.usage(
      pool,
      scopes.keys(),
      [...live.get(pool)!.values()].map((instance) => ({
        launchedAt: instance.launchedAt,
        running: instance.job === null ? null : { scope: jobs[instance.job]!.trace.scope, startedAt: jobs[instance.job]!.start! },
      })),
      now,
    );

  const view: FleetView = {
    get now() {
      return now;
    },
    pools,
    scopes,
    live: (pool) => [...live.get(pool)!.values()],
    get pending() {
      return pending;
    },
    poolsFor,
    monthlyUsage,
    medianTaskSeconds: (setKey) => runs.median(setKey, now),
    recentStarts: (pool) => starts.count(pool, now),
    health: (pool) => health.get(pool) ?? { consecutiveFailures: 0, backoffUntil: null },
    idleSeconds: (instance) =>
      idleSeconds(
        {
          worker: instance.worker,
          instanceId: instance.instanceId,
          instanceCreatedAt: new Date(instance.launchedAt),
          connectedAt: instance.connectedAt === null ? null : new Date(instance.connectedAt),
          image: null,
          replaces: null,
          activeRequests: instance.job === null ? 0 : 1,
          completedRequests: instance.completed,
          lastCompletedAt: instance.lastCompletedAt === null ? null : new Date(instance.lastCompletedAt),
        },
        new Date(now),
      ),
  };

  const recordDecision = (d: PolicyDecision) => {
    const key = `${d.kind}:${d.reason}`;
    if (options.logDecisions) decisionLog.push({ at: now, ...d });
    decisions.set(key, (decisions.get(key) ?? 0) + 1);
    if (d.pool) {
      const perPool = decisionsByPool.get(d.pool) ?? new Map<string, number>();
      decisionsByPool.set(d.pool, perPool);
      perPool.set(key, (perPool.get(key) ?? 0) + 1);
    }
  };

  const launch = (poolName: string, count: number) => {
    const pool = pools.get(poolName);
    if (!pool) throw new Error(`policy ${policy.name} launched in unknown pool "${poolName}"`);
    let failed = 0;
    for (let i = 0; i < count; i++) {
      const faulted = faults.some((f) => f.pool === poolName && f.from <= now && now < f.until);
      if (faulted || random.next() < (pool.launchFailureRate ?? 0)) {
        failed++;
        continue;
      }
      const number = (nextNumber.get(poolName) ?? 0) + 1;
      nextNumber.set(poolName, number);
      const worker = `${poolName}-${String(number).padStart(3, '0')}`;
      const instance: SimInstance = { worker, pool: poolName, instanceId: `i-${number}`, launchedAt: now, connectedAt: null, job: null, completed: 0, lastCompletedAt: null, busyMs: 0, drainingSince: null, drainingReason: null };
      instances.set(worker, instance);
      live.get(poolName)!.set(worker, instance);
      const terminated = lastTermination.get(poolName);
      if (terminated !== undefined && now - terminated <= churnMs) relaunched.add(worker);
      events.push(now + Math.max(1, random.lognormal(pool.boot.medianSeconds, pool.boot.sigma)) * 1000, { kind: 'ready', worker });
    }
    if (failed) {
      launchFailures[poolName] = (launchFailures[poolName] ?? 0) + failed;
      recordDecision({ kind: 'error', reason: 'LaunchFailed', pool: poolName, count: failed });
      // As the tick does: a round with a failed launch backs the pool off, one without resets it.
      const failures = (health.get(poolName)?.consecutiveFailures ?? 0) + 1;
      const backoff = backoffSeconds(failures, { baseSeconds: TICK_DEFAULTS.backoffBaseSeconds, maxSeconds: TICK_DEFAULTS.backoffMaxSeconds });
      health.set(poolName, { consecutiveFailures: failures, backoffUntil: now + backoff * 1000 });
    } else {
      health.delete(poolName);
    }
  };

  const terminate = (worker: string) => {
    const instance = instances.get(worker);
    if (!instance) return;
    const pool = pools.get(instance.pool)!;
    let busyKill = false;
    if (instance.job !== null) {
      const job = jobs[instance.job]!;
      instance.busyMs += now - job.start!;
      job.start = null;
      job.pool = null;
      job.aborted++;
      running--;
      enqueue(job);
      busyKill = true;
    }
    book.instanceEnded(instance.pool, instance.launchedAt, now);
    const billed = bill(pool.billing, pool.price, instance.launchedAt, now);
    cost += billed.cost;
    records.push({
      pool: instance.pool,
      launchedAt: instance.launchedAt,
      connectedAt: instance.connectedAt,
      endedAt: now,
      jobs: instance.completed,
      busyMs: instance.busyMs,
      billedSeconds: billed.billedSeconds,
      cost: billed.cost,
      relaunch: relaunched.has(worker),
      busyKill,
    });
    instances.delete(worker);
    live.get(instance.pool)!.delete(worker);
    free.delete(worker);
    lastTermination.set(instance.pool, now);
  };

  // As the scheduler's WORKER_NOT_DRAINING: a draining instance is never free, so dispatch gives it nothing new.
  const drain = (worker: string, reason: string | null) => {
    const instance = instances.get(worker);
    if (!instance) return;
    // As the tick's drainWorkers: a worker already draining keeps its start and reason.
    instance.drainingSince = reason === null ? null : (instance.drainingSince ?? now);
    instance.drainingReason = reason === null ? null : (instance.drainingReason ?? reason);
    if (reason !== null) free.delete(worker);
    else if (instance.connectedAt !== null && instance.job === null) free.add(worker);
  };

  const hardEnd = horizon + DRAIN_DAYS * 86_400_000;
  let nextSample = start;
  let nextProgress = start + 86_400_000;
  for (let event = events.pop(); event; event = events.pop()) {
    now = event.at;
    const e = event.value;
    if (e.kind === 'arrival') {
      enqueue(jobs[e.job]!);
      dispatch();
    } else if (e.kind === 'ready') {
      const instance = instances.get(e.worker);
      if (!instance) continue;
      instance.connectedAt = now;
      if (instance.drainingSince === null) free.add(e.worker);
      dispatch();
    } else if (e.kind === 'finish') {
      const instance = instances.get(e.worker);
      if (!instance || instance.job !== e.job) continue;
      const job = jobs[e.job]!;
      job.end = now;
      running--;
      instance.job = null;
      instance.completed++;
      instance.lastCompletedAt = now;
      instance.busyMs += now - job.start!;
      if (instance.drainingSince === null) free.add(e.worker);
      book.taskCompleted(instance.pool, job.trace.scope, now, job.trace.duration);
      if (job.trace.outcome !== 'error') runs.add(job.setKey, now, job.trace.duration);
      dispatch();
    } else {
      if (now >= nextSample) {
        samples.push({ at: now, pending: pending.length, live: Object.fromEntries([...live].map(([p, m]) => [p, m.size])), cost });
        nextSample += 3_600_000;
      }
      if (now >= nextProgress) {
        options.onProgress?.(Math.min(1, (now - start) / (horizon - start || 1)));
        nextProgress += 86_400_000;
      }
      if ((now >= horizon && !pending.length && !running && events.size === 0) || now >= hardEnd) break;
      const actions = policy.decide(view);
      for (const d of actions.decisions) recordDecision(d);
      for (const { worker, reason } of actions.drains ?? []) drain(worker, reason);
      for (const worker of actions.terminations) terminate(worker);
      for (const { pool, count } of actions.launches) launch(pool, count);
      dispatch();
      events.push(now + tickMs, { kind: 'tick' });
    }
  }
  for (const worker of [...instances.keys()]) terminate(worker);
  options.onProgress?.(1);

  const monthly = (map: Map<string, Map<number, number>>) =>
    Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([key, perMonth]) => [key, Object.fromEntries([...perMonth].sort(([a], [b]) => a - b).map(([m, s]) => [new Date(m).toISOString(), s]))]));
  const scopeMonthSeconds: SimulationRun['scopeMonthSeconds'] = {};
  for (const [key, perMonth] of Object.entries(monthly(book.scopes))) {
    const [pool, scope] = key.split('|') as [string, string];
    (scopeMonthSeconds[pool] ??= {})[scope] = perMonth;
  }
  return {
    policy: { name: policy.name, settings: policy.settings },
    start,
    end: now,
    jobs,
    instances: records,
    launchFailures,
    decisions: Object.fromEntries([...decisions].sort(([a], [b]) => a.localeCompare(b))),
    decisionLog,
    decisionsByPool: Object.fromEntries([...decisionsByPool].sort(([a], [b]) => a.localeCompare(b)).map(([p, m]) => [p, Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)))])),
    poolMonthSeconds: monthly(book.pools),
    scopeMonthSeconds,
    samples,
    skippedJobs,
  };
}
