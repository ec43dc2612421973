import { ConflictError, type Database } from '@buildfleet/models';
import { launchWorkers, type ManualOptions, Reason, terminateWorker } from '../src';
import { addPool, addRequest, API_URL, connectWorker, dispatchAndStart, InMemoryDummyCloud, liveWorkers, requestRows, resetDatabase, useDatabase } from './fixtures';

const database = useDatabase();
let db: Database;
let cloud: InMemoryDummyCloud;
let options: ManualOptions;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  cloud = new InMemoryDummyCloud();
  options = { bootstrap: { apiUrl: API_URL }, driverOptions: { dummyCloud: cloud } };
});

describe('launchWorkers (pool launch)', () => {
  it('launches the instances and records an admin decision', async () => {
    await addPool(db, { name: 'dummy-a' });
    const result = await launchWorkers(db, 'dummy-a', 2, options);
    expect(result.launched.map((l) => l.worker)).toEqual(['dummy-a-001', 'dummy-a-002']);
    expect(result.decisions[0]).toMatchObject({ kind: 'launch', reason: Reason.ManualLaunch, message: 'launch 2 in dummy-a: requested by an admin' });
    expect(cloud.instances.size).toBe(2);
  });

  it.each([
    ['beyond max_active_instances', { limits: { max_active_instances: 1 } }, 2, /can launch at most 1 now/],
    ['in a disabled pool', { enabled: false }, 1, /dummy-a: the pool is disabled; launch with --force/],
    ['over the monthly budget', { limits: { target_max_seconds_per_month: 0 } }, 1, /100% of target_max_seconds_per_month used/],
  ])('refuses to launch %s, and launches nothing', async (_name, pool, count, message) => {
    await addPool(db, { name: 'dummy-a', ...pool });
    await expect(launchWorkers(db, 'dummy-a', count, options)).rejects.toThrow(message);
    expect(await liveWorkers(db)).toEqual([]);
  });

  it('launches beyond the limits with force', async () => {
    await addPool(db, { name: 'dummy-a', enabled: false, limits: { max_active_instances: 0 } });
    expect((await launchWorkers(db, 'dummy-a', 2, { ...options, force: true })).launched).toHaveLength(2);
  });
});

describe('terminateWorker (pool terminate)', () => {
  it('refuses a worker with work unless forced, then requeues its running work as a retry', async () => {
    await addPool(db, { name: 'dummy-a' });
    await launchWorkers(db, 'dummy-a', 1, options);
    await connectWorker(db, 'dummy-a-001');
    const request = await addRequest(db);
    await dispatchAndStart(db);
    await expect(terminateWorker(db, 'dummy-a-001', options)).rejects.toThrow(ConflictError);
    await expect(terminateWorker(db, 'dummy-a-001', options)).rejects.toThrow(/1 pending or running work request/);

    const result = await terminateWorker(db, 'dummy-a-001', { ...options, force: true });
    expect(result.decisions[0]).toMatchObject({ reason: Reason.ManualTerminate });
    expect(cloud.instances.size).toBe(0);
    const rows = await requestRows(db);
    expect(rows.find((r) => r.id === request)).toMatchObject({ status: 'aborted' });
    expect(rows.find((r) => r.supersedes_id === request)).toMatchObject({ status: 'pending', retry_count: 1 });
  });

  it('refuses a stopped worker', async () => {
    await addPool(db, { name: 'dummy-a' });
    await launchWorkers(db, 'dummy-a', 1, options);
    await terminateWorker(db, 'dummy-a-001', options);
    await expect(terminateWorker(db, 'dummy-a-001', options)).rejects.toThrow('worker "dummy-a-001" is stopped');
  });
});
