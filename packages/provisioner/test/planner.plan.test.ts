import { type Decision, plan, type PlanningSnapshot, Reason } from '../src';
import { ago, NOW, pendingDemand, snapshot, testInstance, testPool } from './builders';

const only = (decisions: Decision[], kind: Decision['kind']) => decisions.filter((d) => d.kind === kind);

describe('plan: every reason', () => {
  it.each<[string, PlanningSnapshot, Pick<Decision, 'kind' | 'reason' | 'message'>]>([
    [
      'LaunchForDemand when pending work has no instance',
      snapshot({ demand: [pendingDemand()] }),
      { kind: 'launch', reason: Reason.LaunchForDemand, message: 'launch 1 in pool-a: scope debian has 1 pending request no live instance can take' },
    ],
    [
      'LaunchForLatency when the queue would wait longer than the target on one instance',
      snapshot({
        demand: [pendingDemand({ pending: 4 })],
        pools: [testPool({ scopeLimits: { debian: { target_latency_seconds: 600 } } })],
        medianTaskSeconds: { '1': 600 },
      }),
      { kind: 'launch', reason: Reason.LaunchForLatency, message:
          'launch 4 in pool-a: scope debian has 4 pending requests, an estimated 40 min of work for one instance (10 min each: median of recent runs) > target 10 min', },
    ],
    [
      'PoolAtInstanceLimit when live instances reach max_active_instances',
      snapshot({
        demand: [pendingDemand()],
        pools: [testPool({ limits: { max_active_instances: 1 }, instances: [testInstance({ activeRequests: 1 })] })],
      }),
      { kind: 'hold', reason: Reason.PoolAtInstanceLimit, message: 'not launching in pool-a: 1 live of max_active_instances 1' },
    ],
    [
      'PoolBudgetExhausted when the month budget has no room for one more task',
      snapshot({
        demand: [pendingDemand()],
        pools: [testPool({ limits: { target_max_seconds_per_month: 100_000 }, usedSeconds: 95_000 })],
        medianTaskSeconds: { '1': 6_000 },
      }),
      { kind: 'hold', reason: Reason.PoolBudgetExhausted, message: 'not launching in pool-a: 95% of target_max_seconds_per_month used' },
    ],
    [
      "ScopeBudgetExhausted when the scope's budget in the pool is used up",
      snapshot({
        demand: [pendingDemand()],
        pools: [testPool({ scopeLimits: { debian: { target_max_seconds_per_month: 3600 } }, scopeUsedSeconds: { debian: 3600 } })],
      }),
      {
        kind: 'hold',
        reason: Reason.ScopeBudgetExhausted,
        message: 'not launching in pool-a for scope debian: 100% of its target_max_seconds_per_month used',
      },
    ],
    [
      'LaunchForDemand for a scope named like an Object.prototype member, with nothing of its budget used',
      snapshot({
        demand: [pendingDemand({ scope: 'constructor' })],
        pools: [testPool({ scopeLimits: { constructor: { target_max_seconds_per_month: 3600 } }, scopeUsedSeconds: {} })],
      }),
      { kind: 'launch', reason: Reason.LaunchForDemand, message: 'launch 1 in pool-a: scope constructor has 1 pending request no live instance can take' },
    ],
    [
      'PoolDisabled when the only pool is disabled',
      snapshot({ demand: [pendingDemand()], pools: [testPool({ enabled: false })] }),
      { kind: 'hold', reason: Reason.PoolDisabled, message: 'not launching in pool-a: the pool is disabled' },
    ],
    [
      'PoolBackingOff while the backoff after failed launches lasts',
      snapshot({
        demand: [pendingDemand()],
        pools: [testPool({ health: { consecutiveFailures: 2, backoffUntil: new Date('2026-03-15T12:02:00Z'), lastErrorKind: 'capacity' } })],
      }),
      {
        kind: 'hold',
        reason: Reason.PoolBackingOff,
        message: 'not launching in pool-a: backing off until 2026-03-15T12:02:00.000Z after 2 failed launch attempts (capacity)',
      },
    ],
    [
      'NoCompatiblePool when no pool can run the requirement set',
      snapshot({ demand: [pendingDemand({ pools: [], requirementSet: 'arch:arm64 task:sbuild', pending: 3 })] }),
      {
        kind: 'hold',
        reason: Reason.NoCompatiblePool,
        message: 'no pool can run "arch:arm64 task:sbuild" for scope debian: 3 pending requests wait',
      },
    ],
    [
      'CoveredByBooting when a booting instance will take the work',
      snapshot({ demand: [pendingDemand()], pools: [testPool({ instances: [testInstance({ connectedAt: null, instanceCreatedAt: ago(60) })] })] }),
      { kind: 'hold', reason: Reason.CoveredByBooting, message: 'not launching in pool-a for scope debian: 1 booting instance will take the work' },
    ],
    [
      'IdleTooLong for an instance idle beyond max_idle_seconds',
      snapshot({ pools: [testPool({ instances: [testInstance({ worker: 'pool-a-007', instanceCreatedAt: ago(7200) })] })] }),
      { kind: 'terminate', reason: Reason.IdleTooLong, message: 'terminate pool-a-007 in pool-a: idle 2 h > max_idle_seconds 60 min' },
    ],
    [
      "EphemeralDone once an ephemeral pool's instance completed its request",
      snapshot({
        pools: [testPool({ ephemeral: true, instances: [testInstance({ worker: 'pool-a-002', completedRequests: 1, lastCompletedAt: ago(5) })] })],
      }),
      { kind: 'terminate', reason: Reason.EphemeralDone, message: 'terminate pool-a-002 in pool-a: ephemeral pool, its work request is done' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(plan(input, NOW).decisions).toEqual([expect.objectContaining(expected)]);
  });
});

describe('plan: idle time and termination', () => {
  it('does not count a relaunched instance idle from work completed on its previous instance', () => {
    const relaunched = testInstance({ instanceCreatedAt: ago(60), lastCompletedAt: ago(6 * 3600) });
    expect(plan(snapshot({ pools: [testPool({ instances: [relaunched] })] }), NOW).terminations).toEqual([]);
  });

  it('measures idle time from the last completed work when it is later than the start', () => {
    const worked = testInstance({ instanceCreatedAt: ago(5 * 3600), completedRequests: 3, lastCompletedAt: ago(1800) });
    expect(plan(snapshot({ pools: [testPool({ instances: [worked] })] }), NOW).terminations).toEqual([]);
  });

  it.each([
    [600, 601, true],
    [600, 599, false],
    [7200, 3601, false],
    [0, 1, true],
  ])('honours max_idle_seconds %i: idle %i s terminates: %s', (maxIdle, idle, terminated) => {
    const pool = testPool({ limits: { max_idle_seconds: maxIdle }, instances: [testInstance({ instanceCreatedAt: ago(idle) })] });
    expect(plan(snapshot({ pools: [pool] }), NOW).terminations.length).toBe(terminated ? 1 : 0);
  });

  it('never terminates a worker that is running or has been assigned work, however long it has been up', () => {
    const busy = testInstance({ instanceCreatedAt: ago(86_400), activeRequests: 1 });
    const ephemeralBusy = testInstance({ instanceCreatedAt: ago(86_400), activeRequests: 1, completedRequests: 1 });
    const result = plan(snapshot({ pools: [testPool({ ephemeral: true, limits: { max_idle_seconds: 0 }, instances: [busy, ephemeralBusy] })] }), NOW);
    expect(result.terminations).toEqual([]);
    expect(only(result.decisions, 'terminate')).toEqual([]);
  });

  it('leaves a row whose launch is not saved yet to reconciliation', () => {
    const inFlight = testInstance({ instanceId: null, instanceCreatedAt: ago(86_400), connectedAt: null });
    expect(plan(snapshot({ pools: [testPool({ instances: [inFlight] })] }), NOW).terminations).toEqual([]);
  });

  it('terminates an ephemeral instance that finished its request without waiting for max_idle_seconds', () => {
    const done = testInstance({ completedRequests: 1, lastCompletedAt: ago(1) });
    const result = plan(snapshot({ pools: [testPool({ ephemeral: true, instances: [done] })] }), NOW);
    expect(result.terminations).toEqual([{ pool: 'pool-a', worker: done.worker, instanceId: done.instanceId }]);
  });
});

describe('plan: how many to launch, and where', () => {
  it('sizes launches from the median task duration and the default target (600 s tasks, 1800 s target)', () => {
    const launches = (pending: number) => plan(snapshot({ demand: [pendingDemand({ pending })] }), NOW).launches;
    expect(launches(3)).toEqual([{ pool: 'pool-a', count: 1 }]);
    expect(launches(4)).toEqual([{ pool: 'pool-a', count: 2 }]);
    expect(launches(30)).toEqual([{ pool: 'pool-a', count: 10 }]);
  });

  it("uses the scope's target_latency_seconds instead of the default", () => {
    const pool = testPool({ scopeLimits: { debian: { target_latency_seconds: 300 } } });
    expect(plan(snapshot({ demand: [pendingDemand({ pending: 3 })], pools: [pool] }), NOW).launches).toEqual([{ pool: 'pool-a', count: 3 }]);
  });

  it('never launches more instances than requests are pending', () => {
    const input = snapshot({ demand: [pendingDemand({ pending: 2 })], medianTaskSeconds: { '1': 36_000 } });
    expect(plan(input, NOW).launches).toEqual([{ pool: 'pool-a', count: 2 }]);
  });

  it('does not launch again for demand that instances still booting will take', () => {
    const booting = [1, 2].map(() => testInstance({ connectedAt: null, instanceCreatedAt: ago(30) }));
    const pool = testPool({ instances: booting, scopeLimits: { debian: { target_latency_seconds: 600 } } });
    const result = plan(snapshot({ demand: [pendingDemand({ pending: 3 })], pools: [pool] }), NOW);
    expect(result.launches).toEqual([{ pool: 'pool-a', count: 1 }]);
  });

  it('counts a booting instance once, for the first group that needs it', () => {
    const pool = testPool({ instances: [testInstance({ connectedAt: null })] });
    const demand = [pendingDemand({ scope: 'a', maxPriority: 5 }), pendingDemand({ scope: 'b' })];
    const result = plan(snapshot({ demand, pools: [pool] }), NOW);
    expect(only(result.decisions, 'launch')).toEqual([expect.objectContaining({ scope: 'b', count: 1 })]);
  });

  it('does not count connected or busy instances as covering demand', () => {
    const pool = testPool({ instances: [testInstance(), testInstance({ connectedAt: null, activeRequests: 1 })] });
    expect(plan(snapshot({ demand: [pendingDemand()], pools: [pool] }), NOW).launches).toEqual([{ pool: 'pool-a', count: 1 }]);
  });

  it('counts booting and disconnected instances toward max_active_instances', () => {
    const pool = testPool({
      limits: { max_active_instances: 2 },
      instances: [testInstance({ connectedAt: null, activeRequests: 1 }), testInstance({ connectedAt: null, activeRequests: 1 })],
    });
    expect(plan(snapshot({ demand: [pendingDemand()], pools: [pool] }), NOW).launches).toEqual([]);
  });

  it("counts this tick's own launches toward max_active_instances", () => {
    const pool = testPool({ limits: { max_active_instances: 3 } });
    const demand = [pendingDemand({ scope: 'a', pending: 8 }), pendingDemand({ scope: 'b', pending: 8 })];
    const result = plan(snapshot({ demand, pools: [pool] }), NOW);
    expect(result.launches).toEqual([{ pool: 'pool-a', count: 3 }]);
    expect(only(result.decisions, 'hold')).toEqual([expect.objectContaining({ reason: Reason.PoolAtInstanceLimit, count: 8 })]);
  });

  it('plans higher-priority demand first when a limit leaves room for only some', () => {
    const pool = testPool({ limits: { max_active_instances: 1 } });
    const demand = [
      pendingDemand({ scope: 'low', maxPriority: 0, oldestCreatedAt: ago(9000) }),
      pendingDemand({ scope: 'high', maxPriority: 10, oldestCreatedAt: ago(60) }),
    ];
    const launched = only(plan(snapshot({ demand, pools: [pool] }), NOW).decisions, 'launch');
    expect(launched).toEqual([expect.objectContaining({ scope: 'high', count: 1 })]);
  });

  it.each([
    ['at its instance limit', { limits: { max_active_instances: 0 } }, Reason.PoolAtInstanceLimit],
    ['backing off', { health: { consecutiveFailures: 1, backoffUntil: new Date(NOW.getTime() + 60_000), lastErrorKind: 'quota' } }, Reason.PoolBackingOff],
    ['disabled', { enabled: false }, Reason.PoolDisabled],
    ['out of budget', { limits: { target_max_seconds_per_month: 0 } }, Reason.PoolBudgetExhausted],
  ] as const)('spills over to the next eligible pool when the preferred one is %s', (_name, overrides, reason) => {
    const pools = [testPool({ name: 'pool-a', ...overrides }), testPool({ name: 'pool-b' })];
    const result = plan(snapshot({ demand: [pendingDemand({ pools: ['pool-a', 'pool-b'] })], pools }), NOW);
    expect(result.launches).toEqual([{ pool: 'pool-b', count: 1 }]);
    expect(only(result.decisions, 'hold')).toEqual([expect.objectContaining({ reason, pool: 'pool-a' })]);
  });

  it('launches again in a pool whose backoff has ended', () => {
    const pool = testPool({ health: { consecutiveFailures: 3, backoffUntil: ago(1), lastErrorKind: 'transient' } });
    expect(plan(snapshot({ demand: [pendingDemand()], pools: [pool] }), NOW).launches).toEqual([{ pool: 'pool-a', count: 1 }]);
  });

  it('splits a launch across pools when the first one fills up', () => {
    const pools = [testPool({ name: 'pool-a', limits: { max_active_instances: 2 } }), testPool({ name: 'pool-b' })];
    const demand = [pendingDemand({ pending: 5, pools: ['pool-a', 'pool-b'] })];
    const result = plan(snapshot({ demand, pools, medianTaskSeconds: { '1': 1800 } }), NOW);
    expect(result.launches).toEqual([
      { pool: 'pool-a', count: 2 },
      { pool: 'pool-b', count: 3 },
    ]);
  });

  it('spends the month budget across groups in one tick', () => {
    const pool = testPool({ limits: { target_max_seconds_per_month: 1800 } });
    const demand = [pendingDemand({ scope: 'a', pending: 4, maxPriority: 1 }), pendingDemand({ scope: 'b', pending: 4 })];
    const result = plan(snapshot({ demand, pools: [pool], medianTaskSeconds: { '1': 900 } }), NOW);
    expect(result.launches).toEqual([{ pool: 'pool-a', count: 2 }]);
    expect(only(result.decisions, 'hold')).toEqual([expect.objectContaining({ reason: Reason.PoolBudgetExhausted })]);
  });

  it("applies a scope's budget only to that scope", () => {
    const pool = testPool({ scopeLimits: { a: { target_max_seconds_per_month: 0 } } });
    const demand = [pendingDemand({ scope: 'a' }), pendingDemand({ scope: 'b' })];
    const launched = only(plan(snapshot({ demand, pools: [pool] }), NOW).decisions, 'launch');
    expect(launched.map((d) => d.scope)).toEqual(['b']);
  });

  it('records one hold per pool and reason, counting the pending requests of every group it held', () => {
    const pool = testPool({ enabled: false });
    const demand = [pendingDemand({ scope: 'a', pending: 2 }), pendingDemand({ scope: 'b', pending: 3 })];
    expect(plan(snapshot({ demand, pools: [pool] }), NOW).decisions).toEqual([
      expect.objectContaining({ kind: 'hold', reason: Reason.PoolDisabled, pool: 'pool-a', count: 5 }),
    ]);
  });

  it('returns the same plan for the same snapshot and clock', () => {
    const input = snapshot({
      demand: [pendingDemand({ pending: 7 }), pendingDemand({ scope: 'x', requirementSetId: '2', pools: [] })],
      pools: [testPool({ instances: [testInstance({ instanceCreatedAt: ago(9999) }), testInstance({ connectedAt: null })] })],
    });
    expect(plan(input, NOW)).toEqual(plan(input, NOW));
  });
});

describe('plan: a pool whose monthly budget is spent drains', () => {
  const spent = { target_max_seconds_per_month: 36_000, max_idle_seconds: 3600 };

  it('drains its busy instances, terminates its idle ones at once, and launches nothing', () => {
    const busy = testInstance({ activeRequests: 1 });
    const idle = testInstance({ lastCompletedAt: ago(30) });
    const pool = testPool({ limits: spent, usedSeconds: 36_000, instances: [busy, idle] });
    const result = plan(snapshot({ demand: [pendingDemand({ pending: 5 })], pools: [pool] }), NOW);
    expect(result.drains).toEqual([
      { pool: 'pool-a', worker: busy.worker, reason: Reason.DrainOverBudget },
      { pool: 'pool-a', worker: idle.worker, reason: Reason.DrainOverBudget },
    ]);
    expect(result.terminations).toEqual([{ pool: 'pool-a', worker: idle.worker, instanceId: idle.instanceId }]);
    expect(result.launches).toEqual([]);
    expect(result.decisions).toEqual([
      expect.objectContaining({
        kind: 'drain',
        reason: Reason.DrainOverBudget,
        worker: busy.worker,
        message: `drain ${busy.worker} in pool-a: 100% of target_max_seconds_per_month used; it finishes its work, takes no more, and is terminated once idle`,
      }),
      expect.objectContaining({
        kind: 'terminate',
        reason: Reason.DrainOverBudget,
        worker: idle.worker,
        message: `terminate ${idle.worker} in pool-a: idle, and 100% of the pool's target_max_seconds_per_month used`,
      }),
      expect.objectContaining({ kind: 'hold', reason: Reason.PoolBudgetExhausted }),
    ]);
  });

  it('terminates a draining instance once its work is done, and decides nothing new while it works', () => {
    const working = testInstance({ activeRequests: 1, drainingSince: ago(60) });
    const pool = testPool({ limits: spent, usedSeconds: 40_000, instances: [working] });
    expect(plan(snapshot({ pools: [pool] }), NOW)).toEqual({ decisions: [], launches: [], terminations: [], drains: [] });
    const done = { ...working, activeRequests: 0, lastCompletedAt: ago(5) };
    const result = plan(snapshot({ pools: [{ ...pool, instances: [done] }] }), NOW);
    expect(result.terminations.map((t) => t.worker)).toEqual([working.worker]);
    expect(result.decisions).toEqual([expect.objectContaining({ kind: 'terminate', reason: Reason.DrainOverBudget })]);
  });

  it('stops draining when the budget allows work again: a new month or a raised target', () => {
    const draining = testInstance({ activeRequests: 1, drainingSince: ago(60), drainingReason: Reason.DrainOverBudget });
    for (const pool of [
      testPool({ limits: spent, usedSeconds: 600, instances: [draining] }),
      testPool({ limits: { ...spent, target_max_seconds_per_month: 72_000 }, usedSeconds: 40_000, instances: [draining] }),
    ]) {
      const result = plan(snapshot({ pools: [pool] }), NOW);
      expect(result.drains).toEqual([{ pool: 'pool-a', worker: draining.worker, reason: null }]);
      expect(result.decisions).toEqual([expect.objectContaining({ kind: 'drain', reason: Reason.DrainLifted, worker: draining.worker })]);
    }
  });

  it('keeps an idle instance of a pool within its budget for max_idle_seconds, as before', () => {
    const idle = testInstance({ lastCompletedAt: ago(30) });
    const pool = testPool({ limits: spent, usedSeconds: 35_999, instances: [idle] });
    expect(plan(snapshot({ pools: [pool] }), NOW)).toEqual({ decisions: [], launches: [], terminations: [], drains: [] });
  });
});
