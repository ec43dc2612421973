import { buildfleetPolicy, type FleetView, formatTrace, measure, parseTrace, type Policy, type Scenario, simulate, staticPolicy, taskscalerPolicy, type TraceJob } from '../src';

// Four days before a month ends, so a budget test sees the next month's budget.
const START = '2026-03-28T00:00:00.000Z';

function traceOf(jobs: Partial<TraceJob>[], extra: string[] = []) {
  const text = formatTrace({
    meta: { type: 'meta', version: 1, source: 'test', start: START, days: 1 },
    jobs: jobs.map((j, i) => ({ type: 'job', id: `j${i}`, at: 0, scope: 'debian', task: 'sbuild', requirements: ['arch:amd64'], priority: 0, duration: 600, outcome: 'success', ...j })),
    faults: [],
  });
  return parseTrace(text + extra.join('\n'));
}

function scenario(overrides: Partial<Scenario['pools'][number]> = {}, scopeLimits = {}): Scenario {
  return {
    seed: 3,
    tickSeconds: 60,
    pools: [
      {
        name: 'aws',
        billing: 'aws',
        price: { hourly: 3.6 },
        tags: [],
        architectures: ['amd64'],
        limits: { max_idle_seconds: 300, max_active_instances: 4 },
        boot: { medianSeconds: 30, sigma: 0 },
        ...overrides,
      },
      { name: 'arm', billing: 'aws', price: { hourly: 1 }, tags: [], architectures: ['arm64'], boot: { medianSeconds: 30, sigma: 0 } },
    ],
    scopes: [{ name: 'debian', pools: [{ pool: 'aws', limits: scopeLimits }, { pool: 'arm' }] }],
  };
}

describe('replaying a trace through the real planners', () => {
  it('launches for pending work at the tick, runs it when the instance connects, and reaps the idle instance', () => {
    const trace = traceOf([{ at: 10, duration: 600 }]);
    const run = simulate(trace, scenario(), buildfleetPolicy());
    const metrics = measure(run, scenario());
    // Arrives at 10 s, the tick at 60 s launches in the only amd64 pool, it connects 30 s later.
    expect(metrics.wait.p50).toBe(80);
    expect(metrics.decisions).toMatchObject({ 'launch:LaunchForDemand': 1, 'terminate:IdleTooLong': 1 });
    expect(metrics.pools.arm!.launches).toBe(0);
    const aws = metrics.pools.aws!;
    expect(aws.launches).toBe(1);
    expect(aws.billedSeconds.booting).toBe(30);
    expect(aws.billedSeconds.busy).toBe(600);
    // Idle from 690 s; the first tick with more than 300 idle seconds is at 1020 s.
    expect(aws.billedSeconds.total).toBe(1020 - 60);
    expect(aws.cost).toBeCloseTo(0.96);
    expect(metrics.churn).toEqual({ wastedLaunches: 0, relaunches: 0, abortedWork: 0 });
  });

  it('holds launches once the pool has used its monthly budget, and says so', () => {
    const trace = traceOf([{ at: 0 }, { at: 3600 }]);
    const limited = scenario({ limits: { max_idle_seconds: 60, target_max_seconds_per_month: 700 } });
    const metrics = measure(simulate(trace, limited, buildfleetPolicy()), limited);
    // One launch in March, the next in April.
    expect(metrics.pools.aws!.launches).toBe(2);
    expect(metrics.decisions['hold:PoolBudgetExhausted']).toBeGreaterThan(0);
    // The second job waits for April's budget.
    expect(metrics.wait.max).toBeGreaterThan(3 * 86400);
    expect(metrics.wait.max).toBeLessThan(4 * 86400);
    expect(metrics.wait.unstarted).toBe(0);
  });

  it('drains the instances of a pool whose budget runs out while its queue stays full: each overshoots by at most one task', () => {
    // 10-minute jobs every 200 s all day: two instances never catch up, so they are never idle.
    const trace = traceOf(Array.from({ length: 432 }, (_, i) => ({ at: i * 200, duration: 600 })));
    const target = 7200;
    const limited = scenario({ limits: { max_idle_seconds: 300, max_active_instances: 2, target_max_seconds_per_month: target } });
    const run = simulate(trace, limited, buildfleetPolicy());
    const metrics = measure(run, limited);
    const aws = metrics.pools.aws!;
    // Per instance: the rest of the task it runs when the budget is spent, plus one tick to see it idle.
    expect(aws.budget.maxMonthSeconds).toBeGreaterThan(target);
    expect(aws.budget.maxMonthSeconds).toBeLessThanOrEqual(target + 2 * (600 + 60));
    expect(metrics.decisions['drain:DrainOverBudget']).toBeGreaterThan(0);
    expect(metrics.decisions['terminate:DrainOverBudget']).toBeGreaterThan(0);
    expect(metrics.churn.abortedWork).toBe(0);
    // The rest waits for April's budget, which is held the same way.
    expect(Object.keys(run.poolMonthSeconds.aws!)).toHaveLength(2);
    expect(Object.values(run.poolMonthSeconds.aws!).every((seconds) => seconds <= target + 2 * (600 + 60))).toBe(true);
  });

  it('fails launches during a capacity fault, backs the pool off as the tick does, and launches again after it', () => {
    const trace = traceOf([{ at: 0 }], ['{"type":"fault","pool":"aws","at":0,"until":300,"kind":"capacity"}']);
    const metrics = measure(simulate(trace, scenario(), buildfleetPolicy()), scenario());
    // Failed rounds at 0 s, 60 s (after a 60 s backoff) and 180 s (after 120 s); then 240 s of backoff.
    expect(metrics.pools.aws!.launchFailures).toBe(3);
    expect(metrics.decisions['error:LaunchFailed']).toBe(3);
    expect(metrics.decisions['hold:PoolBackingOff']).toBeGreaterThan(0);
    expect(metrics.wait.p50).toBe(420 + 30);
  });

  it('gives the same figures for the same trace, scenario and seed', () => {
    const trace = traceOf(Array.from({ length: 40 }, (_, i) => ({ at: i * 97, duration: 300 + ((i * 131) % 900) })));
    const flaky = scenario({ launchFailureRate: 0.3, boot: { medianSeconds: 60, sigma: 0.5 } });
    const once = JSON.stringify(measure(simulate(trace, flaky, buildfleetPolicy()), flaky));
    expect(JSON.stringify(measure(simulate(trace, flaky, buildfleetPolicy()), flaky))).toBe(once);
    expect(JSON.stringify(measure(simulate(trace, { ...flaky, seed: 4 }, buildfleetPolicy()), flaky))).not.toBe(once);
  });

  it('runs peers policies through the same loop: a static fleet and taskscaler keep idle instances', () => {
    const trace = traceOf([{ at: 0 }, { at: 4000 }]);
    const fixed = measure(simulate(trace, scenario(), staticPolicy({ instances: 2 })), scenario());
    expect(fixed.pools.aws!.launches).toBe(2);
    expect(fixed.pools.arm!.launches).toBe(2);
    // The first job arrives with the first tick and waits for the fleet to boot; the second does not wait.
    expect([fixed.wait.p50, fixed.wait.max]).toEqual([0, 30]);

    const taskscaler = measure(simulate(trace, scenario(), taskscalerPolicy({ idle_count: 1, scale_factor: 0, idle_time: 600 })), scenario());
    // One idle instance stays ready: the second job does not wait for a boot.
    expect([taskscaler.wait.p50, taskscaler.wait.max]).toEqual([0, 30]);
    expect(taskscaler.pools.aws!.abortedWork).toBe(0);
  });

  it("taskscaler: work its preferred pool has no room for is the next pool's to launch for", () => {
    const trace = traceOf([{ at: 0 }, { at: 0 }]);
    const base = scenario({ limits: { max_idle_seconds: 300, max_active_instances: 1 } });
    const overflow: Scenario = {
      ...base,
      pools: [...base.pools, { ...base.pools[0]!, name: 'aws-overflow', limits: { max_idle_seconds: 300 } }],
      scopes: [{ name: 'debian', pools: [{ pool: 'aws' }, { pool: 'aws-overflow' }] }],
    };
    const metrics = measure(simulate(trace, overflow, taskscalerPolicy({ idle_count: 0, scale_factor: 0, idle_time: 300 })), overflow);
    expect([metrics.pools.aws!.launches, metrics.pools['aws-overflow']!.launches]).toEqual([1, 1]);
    // Both start once their instances boot (30 s); neither waits for the other's 600 s.
    expect(metrics.wait.max).toBe(30);
  });

  it('billing-aware reaping: on an hourly-billed pool, keeping idle instances for their paid hour costs less, churns less and waits less at the median', () => {
    // A job every 20 minutes for a day, 5 minutes each: idle 15 minutes between, max_idle_seconds 300.
    const trace = traceOf(Array.from({ length: 72 }, (_, i) => ({ at: i * 1200, duration: 300 })));
    const hetzner = scenario({ billing: 'hetzner', price: { hourly: 1, monthlyCap: 500 } });
    // A margin of a whole hour keeps nothing: the planner's behaviour before billing-aware reaping.
    const before = measure(simulate(trace, hetzner, buildfleetPolicy({ reapMarginSeconds: 3600 })), hetzner);
    const after = measure(simulate(trace, hetzner, buildfleetPolicy()), hetzner);
    expect(before.pools.aws!.launches).toBe(72);
    // At most one launch per paid hour instead of one per job.
    expect(after.pools.aws!.launches).toBeLessThanOrEqual(24);
    expect(after.pools.aws!.relaunches).toBeLessThan(before.pools.aws!.relaunches);
    expect(after.cost).toBeLessThan(before.cost / 2);
    expect(after.wait.p50).toBeLessThan(before.wait.p50);
    expect(after.wait.p95).toBeLessThanOrEqual(before.wait.p95);
  });

  it('recent demand keeps idle instances on a per-second-billed pool: about half the relaunches, shorter waits, a bounded cost', () => {
    // Three 1-minute jobs every 10 minutes for a day: 9 starts per 30 minutes, about 1 per max_idle_seconds (300).
    const trace = traceOf(Array.from({ length: 216 }, (_, i) => ({ at: Math.floor(i / 3) * 600, duration: 60 })));
    const perSecond = scenario();
    // A planner told of no recent starts reaps every instance idle past max_idle_seconds: the behaviour before.
    const inner = buildfleetPolicy();
    const blind: Policy = { ...inner, decide: (view) => inner.decide(Object.create(view, { recentStarts: { value: () => 0 } }) as FleetView) };
    const before = measure(simulate(trace, perSecond, blind), perSecond);
    const after = measure(simulate(trace, perSecond, buildfleetPolicy()), perSecond);
    // Before, each burst finds the pool emptied and relaunches.
    expect(before.pools.aws!.relaunches).toBeGreaterThan(100);
    expect(after.pools.aws!.relaunches).toBeLessThan(before.pools.aws!.relaunches * 0.6);
    expect(after.pools.aws!.launches).toBeLessThan(before.pools.aws!.launches * 0.6);
    expect(after.decisions['hold:KeptForRecentDemand']).toBeGreaterThan(0);
    expect(after.wait.p50).toBeLessThan(before.wait.p50);
    expect(after.wait.p95).toBeLessThan(before.wait.p95);
    expect(after.churn.abortedWork).toBe(0);
    // The kept instance idles between bursts: it costs more, but boots fewer.
    expect(after.cost).toBeLessThan(before.cost * 1.15);
    expect(after.pools.aws!.billedSeconds.booting).toBeLessThan(before.pools.aws!.billedSeconds.booting);
  });
});

