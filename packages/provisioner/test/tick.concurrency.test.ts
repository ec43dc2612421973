import { connectDatabase, type Database } from '@buildfleet/models';
import { tick } from '../src';
import { claimWorkers } from '../src/sql/claimWorkers';
import { addPool, addRequests, DummyCloud, liveWorkers, resetDatabase, tickOptions, useDatabase } from './fixtures';

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
    const cloud = new DummyCloud();
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
        claimWorkers(i % 2 ? db : other, pool.id, 2, { force: false, tokenLifetimeSeconds: 3600, now: new Date() }),
      ),
    );
    const names = claims.flatMap((c) => c.workers.map((w) => w.name));
    expect(names.sort()).toEqual(['dummy-a-001', 'dummy-a-002', 'dummy-a-003', 'dummy-a-004', 'dummy-a-005']);
    expect((await liveWorkers(db)).length).toBe(5);
  });
});
