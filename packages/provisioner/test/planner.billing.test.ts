import { plan, Reason } from '../src';
import { ago, NOW, snapshot, testInstance, testPool } from './builders';

// NOW is in the middle of a month; max_idle_seconds 300 and every instance idle for 20 minutes.
const idle = (launchedSecondsAgo: number) => testInstance({ instanceCreatedAt: ago(launchedSecondsAgo), connectedAt: ago(launchedSecondsAgo - 30), lastCompletedAt: ago(1200), completedRequests: 1 });
const hourly = (overrides: Parameters<typeof testPool>[0] = {}) => testPool({ billingPeriodSeconds: 3600, limits: { max_idle_seconds: 300 }, ...overrides });
const terminated = (pool: ReturnType<typeof testPool>) => plan(snapshot({ pools: [pool] }), NOW).terminations.map((t) => t.worker);

describe('plan: idle instances of hourly-billed pools', () => {
  it('keeps an idle instance while its paid hour runs, and terminates it in the last two minutes', () => {
    const halfway = idle(3600 + 1800);
    const ending = idle(3600 + 3540);
    expect(terminated(hourly({ instances: [halfway, ending] }))).toEqual([ending.worker]);
    const result = plan(snapshot({ pools: [hourly({ instances: [ending] })] }), NOW);
    expect(result.decisions.map((d) => d.reason)).toEqual([Reason.IdleTooLong]);
  });

  it('terminates as before on a per-second-billed pool', () => {
    const halfway = idle(3600 + 1800);
    expect(terminated(testPool({ billingPeriodSeconds: null, limits: { max_idle_seconds: 300 }, instances: [halfway] }))).toEqual([halfway.worker]);
  });

  it('keeps nothing for its paid hour once the monthly budget is ahead of pace', () => {
    const halfway = idle(3600 + 1800);
    const month = 31 * 86400;
    const onPace = hourly({ instances: [halfway], usedSeconds: 1000, limits: { max_idle_seconds: 300, target_max_seconds_per_month: month } });
    expect(terminated(onPace)).toEqual([]);
    const ahead = hourly({ instances: [halfway], usedSeconds: month * 0.9, limits: { max_idle_seconds: 300, target_max_seconds_per_month: month } });
    expect(terminated(ahead)).toEqual([halfway.worker]);
  });
});

describe('plan: idle instances of per-second-billed pools', () => {
  // max_idle_seconds 300: 12 starts in the last 30 minutes are about 2 in the next 5.
  const busyAgo = (seconds: number, overrides: Parameters<typeof testInstance>[0] = {}) =>
    testInstance({ instanceCreatedAt: ago(7200), connectedAt: ago(7100), lastCompletedAt: ago(seconds), completedRequests: 3, ...overrides });
  const perSecond = (overrides: Parameters<typeof testPool>[0] = {}) =>
    testPool({ billingPeriodSeconds: null, recentStarts: 12, limits: { max_idle_seconds: 300 }, ...overrides });

  it('keeps the idle instances past max_idle_seconds that recent demand expects back soon, the most recently busy first, and says so', () => {
    const spare = busyAgo(100);
    const [recent, older, oldest] = [busyAgo(400), busyAgo(500), busyAgo(900)];
    const disconnected = busyAgo(350, { connectedAt: null });
    const result = plan(snapshot({ pools: [perSecond({ instances: [oldest, spare, disconnected, older, recent] })] }), NOW);
    // 2 expected: the spare not yet past max_idle_seconds takes the first, `recent` is kept for the second.
    expect(result.terminations.map((t) => t.worker).sort()).toEqual([oldest.worker, disconnected.worker, older.worker].sort());
    const kept = result.decisions.filter((d) => d.reason === Reason.KeptForRecentDemand);
    expect(kept).toEqual([
      expect.objectContaining({
        kind: 'hold',
        pool: 'pool-a',
        count: 1,
        message: 'not terminating 1 idle instance in pool-a past max_idle_seconds 5 min: 12 work requests started there in the last 30 min, about 2 per 5 min',
      }),
    ]);
    expect(result.decisions.filter((d) => d.reason === Reason.IdleTooLong)).toHaveLength(3);
  });

  it('terminates as before when fewer than one start is expected within max_idle_seconds', () => {
    const idleOne = busyAgo(400);
    expect(terminated(perSecond({ recentStarts: 5, instances: [idleOne] }))).toEqual([idleOne.worker]);
    expect(terminated(perSecond({ recentStarts: undefined, instances: [idleOne] }))).toEqual([idleOne.worker]);
  });

  it('spends no monthly budget on idle instances when it is ahead of pace or would not last the month at the pool size', () => {
    const idleOne = busyAgo(400);
    const month = 31 * 86400;
    const limits = (target: number) => ({ max_idle_seconds: 300, target_max_seconds_per_month: target });
    // Half a month gone: 1,000 s used of ten instance-months lasts the month at 1 instance.
    expect(terminated(perSecond({ instances: [idleOne], usedSeconds: 1000, limits: limits(10 * month) }))).toEqual([]);
    // Ahead of pace.
    expect(terminated(perSecond({ instances: [idleOne], usedSeconds: 6 * month, limits: limits(10 * month) }))).toEqual([idleOne.worker]);
    // On pace, but 12 live instances for the 16.5 days left would use six times the budget.
    const busy = Array.from({ length: 11 }, () => testInstance({ activeRequests: 1 }));
    expect(terminated(perSecond({ instances: [idleOne, ...busy], usedSeconds: 1000, limits: limits(month) }))).toEqual([idleOne.worker]);
  });

  it('leaves hourly-billed pools to their paid hour', () => {
    const ending = idle(3600 + 3540);
    const result = plan(snapshot({ pools: [hourly({ recentStarts: 100, instances: [ending] })] }), NOW);
    expect(result.terminations.map((t) => t.worker)).toEqual([ending.worker]);
    expect(result.decisions.map((d) => d.reason)).toEqual([Reason.IdleTooLong]);
  });
});
