import { type InstanceState, plan, type PoolState } from '../src';
import { ago, NOW, snapshot, testInstance, testPool } from './builders';

const OLD = 'ami-0old';
const NEW = 'ami-0new';

/** Five instances of the old image, started a minute apart: 001, 003 and 005 busy. */
function fleet(): InstanceState[] {
  return [1, 2, 3, 4, 5].map((n) =>
    testInstance({ worker: `pool-a-00${n}`, instanceId: `i-${n}`, image: OLD, instanceCreatedAt: ago(600 - n * 60), activeRequests: n % 2 }),
  );
}

function rolloutOf(pool: PoolState) {
  const planned = plan(snapshot({ pools: [pool] }), NOW);
  return {
    terminated: planned.terminations.map((t) => t.worker),
    drains: planned.drains,
    launched: planned.launches.find((l) => l.pool === pool.name)?.count ?? 0,
    reasons: planned.decisions.map((d) => `${d.kind} ${d.reason}`),
    messages: planned.decisions.map((d) => d.message),
  };
}

describe('plan: rolling replacement of outdated instances', () => {
  /** An instance of the new image launched to replace `replaces`, connected unless said otherwise. */
  const replacement = (replaces: string, overrides: Partial<InstanceState> = {}) =>
    testInstance({ worker: `new-${replaces}`, image: NEW, replaces, instanceCreatedAt: ago(60), connectedAt: ago(30), ...overrides });

  it('launches a replacement first, for the oldest idle outdated instance, and terminates nothing yet', () => {
    const outcome = rolloutOf(testPool({ image: NEW, instances: fleet() }));
    expect(outcome).toMatchObject({ terminated: [], launched: 1, reasons: ['launch ImageOutdated'] });
    expect(outcome.messages).toEqual(['launch 1 in pool-a: image ami-0new, to replace outdated pool-a-002']);
  });

  it('terminates an idle outdated instance once its replacement has connected, and starts the next one', () => {
    const outcome = rolloutOf(testPool({ image: NEW, instances: [...fleet(), replacement('pool-a-002')] }));
    expect(outcome.terminated).toEqual(['pool-a-002']);
    expect(outcome.messages).toEqual([
      'terminate pool-a-002 in pool-a: launched from image ami-0old, the pool now launches ami-0new; its replacement has connected',
      'launch 1 in pool-a: image ami-0new, to replace outdated pool-a-004',
    ]);
    const stillBooting = rolloutOf(testPool({ image: NEW, instances: [...fleet(), replacement('pool-a-002', { connectedAt: null })] }));
    expect(stillBooting).toMatchObject({ terminated: [], launched: 0, reasons: [] });
  });

  it('replaces busy instances after the idle ones, and terminates them only once their work is done', () => {
    const idleDone = [replacement('pool-a-002'), replacement('pool-a-004')];
    const outcome = rolloutOf(testPool({ image: NEW, instances: [...fleet().filter((i) => i.activeRequests), ...idleDone] }));
    expect(outcome).toMatchObject({ terminated: [], launched: 1 });
    expect(outcome.messages).toEqual(['launch 1 in pool-a: image ami-0new, to replace outdated pool-a-001']);
    const busyReplaced = rolloutOf(testPool({ image: NEW, instances: [...fleet(), replacement('pool-a-001')] }));
    expect(busyReplaced.terminated).toEqual([]);
    // Its replacement is up: it takes no new work, so a queue that stays full cannot keep it.
    expect(busyReplaced.drains).toEqual([{ pool: 'pool-a', worker: 'pool-a-001', reason: 'ImageOutdated' }]);
    expect(busyReplaced.messages[0]).toBe(
      'drain pool-a-001 in pool-a: launched from image ami-0old, the pool now launches ami-0new and its replacement has connected; it finishes its work, takes no more, and is terminated once idle',
    );
    const draining = fleet().map((i) => (i.worker === 'pool-a-001' ? { ...i, drainingSince: ago(60), drainingReason: 'ImageOutdated' } : i));
    const stillBusy = rolloutOf(testPool({ image: NEW, instances: [...draining, replacement('pool-a-001')] }));
    expect(stillBusy).toMatchObject({ terminated: [], drains: [] });
    expect(stillBusy.reasons).not.toContain('drain DrainLifted');
    const done = fleet().map((i) => (i.worker === 'pool-a-001' ? { ...i, activeRequests: 0 } : i));
    expect(rolloutOf(testPool({ image: NEW, instances: [...done, replacement('pool-a-001')] })).terminated).toEqual(['pool-a-001']);
  });

  it('launches at most max_surge replacements at a time, counting instances of the new image still booting', () => {
    const surge3 = rolloutOf(testPool({ image: NEW, limits: { max_surge: 3 }, instances: fleet() }));
    expect(surge3.messages).toEqual(['launch 3 in pool-a: image ami-0new, to replace outdated pool-a-002, pool-a-004, pool-a-001']);
    const booting = replacement('pool-a-002', { connectedAt: null });
    expect(rolloutOf(testPool({ image: NEW, limits: { max_surge: 3 }, instances: [...fleet(), booting] })).messages).toEqual([
      'launch 2 in pool-a: image ami-0new, to replace outdated pool-a-004, pool-a-001',
    ]);
    const forDemand = testInstance({ worker: 'pool-a-009', image: NEW, connectedAt: null });
    expect(rolloutOf(testPool({ image: NEW, instances: [...fleet(), forDemand] }))).toMatchObject({ launched: 0, reasons: [] });
  });

  it('never launches above max_active_instances: a full pool lets its oldest idle outdated instance go first', () => {
    expect(rolloutOf(testPool({ image: NEW, limits: { max_active_instances: 6 }, instances: fleet() }))).toMatchObject({ terminated: [], launched: 1 });
    const full = rolloutOf(testPool({ image: NEW, limits: { max_active_instances: 5 }, instances: fleet() }));
    expect(full).toMatchObject({ terminated: ['pool-a-002'], launched: 0, reasons: ['terminate ImageOutdated'] });
    expect(full.messages[0]).toContain('the pool is at max_active_instances, so it goes before its replacement');
  });

  it('holds with ImageLaunchFailing while launches of the pool fail, keeping every old instance', () => {
    const failing = testPool({
      image: NEW,
      instances: [...fleet(), replacement('pool-a-002')],
      health: { consecutiveFailures: 2, backoffUntil: ago(-60), lastErrorKind: 'invalid' },
    });
    const outcome = rolloutOf(failing);
    expect(outcome).toMatchObject({ terminated: [], launched: 0, reasons: ['hold ImageLaunchFailing'] });
    expect(outcome.messages).toEqual([
      'not replacing 5 outdated instances in pool-a: launches of image ami-0new fail, 2 failed launch attempts (invalid); the old ones keep running',
    ]);
  });

  it('leaves ephemeral and disabled pools, instances without a recorded image, and current instances alone', () => {
    expect(rolloutOf(testPool({ image: NEW, ephemeral: true, instances: fleet() })).reasons).toEqual([]);
    expect(rolloutOf(testPool({ image: NEW, enabled: false, instances: fleet() })).reasons).toEqual([]);
    expect(rolloutOf(testPool({ image: NEW, instances: fleet().map((i) => ({ ...i, image: null })) })).reasons).toEqual([]);
    expect(rolloutOf(testPool({ image: OLD, instances: fleet() })).reasons).toEqual([]);
  });

  it('does not replace an instance that idled too long: it is terminated for that alone', () => {
    const stale = testInstance({ worker: 'pool-a-009', image: OLD, instanceCreatedAt: ago(7200), connectedAt: ago(7100) });
    const outcome = rolloutOf(testPool({ image: NEW, instances: [stale, ...fleet()] }));
    expect(outcome.terminated).toEqual(['pool-a-009']);
    expect(outcome.reasons).toEqual(['terminate IdleTooLong', 'launch ImageOutdated']);
  });
});
