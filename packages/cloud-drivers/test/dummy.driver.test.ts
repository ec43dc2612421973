import { InMemoryDummyCloud, DummyDriver, type InstanceSpec, type LaunchProgress } from '../src';

const spec = (workerName: string): InstanceSpec => ({ workerName, poolName: 'dummy', userData: '#cloud-config\n', labels: {} });

/** Draws from a fixed list, so the n-th launch fails or not as the test says. */
const draws = (...values: number[]) => () => values.shift() ?? 0.99;

describe('DummyDriver', () => {
  it('launches instances in memory that list reports with their ownership labels', async () => {
    const driver = new DummyDriver({ installationId: 'test', cloud: new InMemoryDummyCloud() });

    const result = await driver.launch([spec('dummy-001'), spec('dummy-002')]);

    expect(result).toEqual({
      launched: [
        { workerName: 'dummy-001', instanceId: 'dummy-1', data: { 'instance-id': 'dummy-1' } },
        { workerName: 'dummy-002', instanceId: 'dummy-2', data: { 'instance-id': 'dummy-2' } },
      ],
      failed: [],
    });
    expect(await driver.list()).toEqual([
      expect.objectContaining({ instanceId: 'dummy-1', workerName: 'dummy-001', poolName: 'dummy', state: 'running' }),
      expect.objectContaining({ instanceId: 'dummy-2', workerName: 'dummy-002', poolName: 'dummy', state: 'running' }),
    ]);
    expect((await driver.list())[0]?.labels).toEqual({
      'managed-by': 'buildfleet',
      'buildfleet-installation': 'test',
      'buildfleet-pool': 'dummy',
      'buildfleet-worker': 'dummy-001',
    });
  });

  it('reports an instance as creating until the boot delay has passed', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const driver = new DummyDriver({ installationId: 'test', cloud: new InMemoryDummyCloud(), bootDelayMs: 30_000, now: () => now });
    await driver.launch([spec('dummy-001')]);

    expect((await driver.list())[0]?.state).toBe('creating');
    now = new Date('2026-01-01T00:00:30Z');
    expect((await driver.list())[0]?.state).toBe('running');
  });

  it('fails the launches the random source picks, as capacity errors, and launches the rest', async () => {
    const driver = new DummyDriver({ installationId: 'test', cloud: new InMemoryDummyCloud(), failureRate: 0.5, random: draws(0.1, 0.9) });
    const events: LaunchProgress[] = [];

    const result = await driver.launch([spec('dummy-001'), spec('dummy-002')], { onProgress: (e) => events.push(e) });

    expect(result.failed).toEqual([{ workerName: 'dummy-001', error: expect.objectContaining({ kind: 'capacity', retryable: false }) }]);
    expect(result.launched.map((l) => l.workerName)).toEqual(['dummy-002']);
    expect(events.map((e) => `${e.type} ${e.workerName}`)).toEqual([
      'requested dummy-001',
      'requested dummy-002',
      'failed dummy-001',
      'launched dummy-002',
    ]);
  });

  it('rejects a worker named twice in one launch and names with characters a label cannot hold', async () => {
    const driver = new DummyDriver({ installationId: 'test', cloud: new InMemoryDummyCloud() });

    const result = await driver.launch([spec('dummy-001'), spec('dummy-001'), spec('bad name')]);

    expect(result.launched.map((l) => l.workerName)).toEqual(['dummy-001']);
    expect(result.failed).toEqual([
      { workerName: 'dummy-001', error: expect.objectContaining({ kind: 'invalid', message: expect.stringMatching(/appears twice/) }) },
      { workerName: 'bad name', error: expect.objectContaining({ kind: 'invalid', message: expect.stringMatching(/workerName "bad name"/) }) },
    ]);
  });

  it('terminates only its own installation\'s instances', async () => {
    const cloud = new InMemoryDummyCloud();
    const ours = new DummyDriver({ installationId: 'ours', cloud });
    const theirs = new DummyDriver({ installationId: 'theirs', cloud });
    const [their] = (await theirs.launch([spec('dummy-001')])).launched;

    await ours.terminate(their!.instanceId);

    expect((await theirs.list()).map((i) => i.instanceId)).toEqual([their!.instanceId]);
  });


  it('stops starting launches once the signal aborts and reports the rest as retryable', async () => {
    const controller = new AbortController();
    controller.abort();
    const driver = new DummyDriver({ installationId: 'test', cloud: new InMemoryDummyCloud() });

    const result = await driver.launch([spec('dummy-001')], { signal: controller.signal });

    expect(result.failed).toEqual([{ workerName: 'dummy-001', error: expect.objectContaining({ kind: 'transient', retryable: true }) }]);
    expect(await driver.list()).toEqual([]);
  });

  it('refuses an installation id that cannot be a label value', () => {
    expect(() => new DummyDriver({ installationId: 'not ok!', cloud: new InMemoryDummyCloud() })).toThrow(/installationId "not ok!"/);
  });
});
