import { DEFAULT_TARGET_LATENCY_SECONDS } from '@buildfleet/provisioner';
import { type SimulationRun } from './engine';
import { resolveScenario, type Scenario } from './scenario';

export interface WaitMetrics {
  jobs: number;
  /** Jobs still waiting when the replay stopped (their wait counts up to then). */
  unstarted: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Share of jobs that started within the scope's target latency. */
  withinTarget: number;
  targetSeconds: number;
}

export interface PoolMetrics {
  launches: number;
  launchFailures: number;
  billedSeconds: { booting: number; busy: number; idle: number; total: number };
  cost: number;
  /** Launches whose instance ran no work. */
  wastedLaunches: number;
  /** Launches within the churn window after a termination in the same pool. */
  relaunches: number;
  /** Work sent back to the queue because its instance was terminated. */
  abortedWork: number;
  /** Highest month's instance seconds against `target_max_seconds_per_month`. */
  budget: { targetSeconds: number | null; maxMonthSeconds: number; usePct: number | null; overshootPct: number | null };
  decisions: Record<string, number>;
}

export interface Metrics {
  policy: { name: string; settings: Record<string, number> };
  jobs: number;
  simDays: number;
  cost: number;
  wait: WaitMetrics;
  scopes: Record<string, WaitMetrics & { budgets: Record<string, { targetSeconds: number | null; maxMonthSeconds: number; overshootPct: number | null }> }>;
  pools: Record<string, PoolMetrics>;
  decisions: Record<string, number>;
  /** Highest overshoot of any pool or scope budget, in percent (0 when all held). */
  budgetOvershootPct: number;
  churn: { wastedLaunches: number; relaunches: number; abortedWork: number };
}

/** The value at quantile q of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function waits(run: SimulationRun, jobs: SimulationRun['jobs'], target: number): WaitMetrics {
  const values = jobs.map((j) => ((j.start ?? run.end) - j.arrival) / 1000).sort((a, b) => a - b);
  return {
    jobs: jobs.length,
    unstarted: jobs.filter((j) => j.start === null).length,
    p50: round(quantile(values, 0.5)),
    p95: round(quantile(values, 0.95)),
    p99: round(quantile(values, 0.99)),
    max: round(values[values.length - 1] ?? 0),
    withinTarget: values.length ? round(jobs.filter((j) => j.start !== null && (j.start - j.arrival) / 1000 <= target).length / values.length, 4) : 1,
    targetSeconds: target,
  };
}

const overshoot = (used: number, target: number | null) => (target === null ? null : target === 0 ? (used > 0 ? 100 : 0) : round((Math.max(0, used - target) / target) * 100));

/** Turns a replay into its figures: waits per scope, billing and churn per pool, budgets, decisions. */
export function measure(run: SimulationRun, scenario: Scenario): Metrics {
  const { pools, scopes } = resolveScenario(scenario);
  const scopeMetrics: Metrics['scopes'] = {};
  let worstOvershoot = 0;
  for (const scope of scopes.values()) {
    const target = [...scope.limits.values()].map((l) => l.target_latency_seconds).find((t): t is number => typeof t === 'number') ?? DEFAULT_TARGET_LATENCY_SECONDS;
    const budgets: Metrics['scopes'][string]['budgets'] = {};
    for (const [pool, limits] of scope.limits) {
      const months = Object.values(run.scopeMonthSeconds[pool]?.[scope.name] ?? {});
      const maxMonthSeconds = round(Math.max(0, ...months));
      const over = overshoot(maxMonthSeconds, limits.target_max_seconds_per_month);
      worstOvershoot = Math.max(worstOvershoot, over ?? 0);
      budgets[pool] = { targetSeconds: limits.target_max_seconds_per_month, maxMonthSeconds, overshootPct: over };
    }
    scopeMetrics[scope.name] = { ...waits(run, run.jobs.filter((j) => j.trace.scope === scope.name), target), budgets };
  }
  const poolMetrics: Metrics['pools'] = {};
  for (const pool of pools.values()) {
    const records = run.instances.filter((r) => r.pool === pool.name);
    const booting = records.reduce((s, r) => s + ((r.connectedAt ?? r.endedAt) - r.launchedAt) / 1000, 0);
    const busy = records.reduce((s, r) => s + r.busyMs / 1000, 0);
    const total = records.reduce((s, r) => s + r.billedSeconds, 0);
    const maxMonthSeconds = round(Math.max(0, ...Object.values(run.poolMonthSeconds[pool.name] ?? {})));
    const target = pool.limits.target_max_seconds_per_month;
    const over = overshoot(maxMonthSeconds, target);
    worstOvershoot = Math.max(worstOvershoot, over ?? 0);
    poolMetrics[pool.name] = {
      launches: records.length,
      launchFailures: run.launchFailures[pool.name] ?? 0,
      billedSeconds: { booting: round(booting), busy: round(busy), idle: round(total - booting - busy), total },
      cost: round(records.reduce((s, r) => s + r.cost, 0), 4),
      wastedLaunches: records.filter((r) => r.jobs === 0 && r.busyMs === 0).length,
      relaunches: records.filter((r) => r.relaunch).length,
      abortedWork: records.filter((r) => r.busyKill).length,
      budget: { targetSeconds: target, maxMonthSeconds, usePct: target ? round((maxMonthSeconds / target) * 100) : null, overshootPct: over },
      decisions: run.decisionsByPool[pool.name] ?? {},
    };
  }
  const all = Object.values(poolMetrics);
  const overallTarget = Math.min(...Object.values(scopeMetrics).map((s) => s.targetSeconds), DEFAULT_TARGET_LATENCY_SECONDS);
  return {
    policy: run.policy,
    jobs: run.jobs.length,
    simDays: round((run.end - run.start) / 86_400_000),
    cost: round(all.reduce((s, p) => s + p.cost, 0), 4),
    wait: waits(run, run.jobs, overallTarget),
    scopes: scopeMetrics,
    pools: poolMetrics,
    decisions: run.decisions,
    budgetOvershootPct: worstOvershoot,
    churn: {
      wastedLaunches: all.reduce((s, p) => s + p.wastedLaunches, 0),
      relaunches: all.reduce((s, p) => s + p.relaunches, 0),
      abortedWork: all.reduce((s, p) => s + p.abortedWork, 0),
    },
  };
}
