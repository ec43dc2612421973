import { connectDatabase, type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { launchWorkers, tick } from '../src';
import { claimWorkers } from '../src/sql/claimWorkers';
import { addPool, addRequests, ageWorker, API_URL, InMemoryDummyCloud, liveWorkers, resetDatabase, tickOptions, useDatabase, workerRows } from './fixtures';

const database = useDatabase();
let db: Database;
let other: Database;

beforeAll(() => {
  db = database.db;
  other = connectDatabase(db.url, 4);
});
afterAll(async () => {
  await other.close();
});
beforeEach(async () => {
  await resetDatabase(db);
});

describe('concurrent provisioners', () => {
  it('two processes ticking at once never exceed max_active_instances, and one of each pair skips', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_active_instances: 3 } });
    await addRequests(db, 20);
    const cloud = new InMemoryDummyCloud();
    const options = tickOptions(cloud, { plan: { defaultTargetLatencySeconds: 60 } });
    let skipped = 0;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([tick(db, options), tick(other, options)]);
      skipped += results.filter((r) => !r.ran).length;
      expect((await liveWorkers(db)).length).toBeLessThanOrEqual(3);
      expect(cloud.instances.size).toBeLessThanOrEqual(3);
    }
    expect((await liveWorkers(db)).length).toBe(3);
    expect(skipped).toBeGreaterThan(0);
  });

  it('claims never exceed max_active_instances when eight launches race without the lock', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_active_instances: 5 } });
    const pool = (await db.models.WorkerPool.findOne({ where: { name: 'dummy-a' } }))!;
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        claimWorkers(i % 2 ? db : other, pool.id, 2, { force: false, tokenLifetimeSeconds: 3600, now: new Date(), image: null }),
      ),
    );
    const names = claims.flatMap((c) => c.workers.map((w) => w.name));
    expect(names.sort()).toEqual(['dummy-a-001', 'dummy-a-002', 'dummy-a-003', 'dummy-a-004', 'dummy-a-005']);
    expect((await liveWorkers(db)).length).toBe(5);
  });

  it('two processes see one pretend cloud in the database: neither takes the other\'s instances for vanished, and ids never collide', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_active_instances: 4 } });
    await addRequests(db, 2);
    // No dummyCloud given: each process's dummy driver reads and writes dummy_instances.
    const options = { bootstrap: { apiUrl: API_URL } };
    expect((await tick(db, { ...options, plan: { defaultTargetLatencySeconds: 0 } })).ran).toBe(true);
    expect(await liveWorkers(db)).toEqual(['dummy-a-001', 'dummy-a-002']);
    for (const name of await liveWorkers(db)) await ageWorker(db, name, 600); // past the grace for vanished instances

    const beside = await tick(other, options);
    await launchWorkers(other, 'dummy-a', 2, options);

    expect(beside.ran).toBe(true);
    expect(beside.decisions.filter((d) => d.reason === 'VanishedInstance' || d.reason === 'LaunchLost')).toEqual([]);
    const rows = await workerRows(db, 'dummy-a');
    expect(rows.map((w) => w.name)).toEqual(['dummy-a-001', 'dummy-a-002', 'dummy-a-003', 'dummy-a-004']);
    const ids = rows.map((w) => w.instance_id);
    expect(new Set(ids).size).toBe(4);
    const stored = await db.sequelize.query<{ id: string }>(`select 'dummy-' || id as id from dummy_instances`, { type: QueryTypes.SELECT });
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());
  });
});
