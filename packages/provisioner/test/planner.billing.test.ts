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
