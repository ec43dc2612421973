import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { POOL_SAMPLE_RETENTION_SECONDS, poolSamples, recordPoolSamples, tick } from '../src';
import { acquireProvisioningLock } from '../src/sql/advisoryLock';
import { addPool, addRequests, InMemoryDummyCloud, resetDatabase, tickOptions, useDatabase } from './fixtures';

const database = useDatabase();
let db: Database;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
});

const T0 = Date.UTC(2026, 10, 16, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);

interface SampleRow {
  pool: string;
  at: string;
  pending: number;
  live: number;
  seconds: number;
}

async function samples(): Promise<SampleRow[]> {
  const rows = await db.sequelize.query<{ pool: string; sampled_at: Date; pending: number; live_instances: number; seconds_this_month: number }>(
    `select p.name as pool, s.sampled_at, s.pending, s.live_instances, s.seconds_this_month
       from worker_pool_samples s join worker_pools p on p.id = s.worker_pool_id
      order by s.sampled_at, p.name`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ pool: r.pool, at: r.sampled_at.toISOString(), pending: r.pending, live: r.live_instances, seconds: r.seconds_this_month }));
}

const sbuild = (arch: string) => ({
  taskName: 'sbuild',
  taskData: { input: { source_artifact: 1 }, environment: 'debian/match:codename=trixie', host_architecture: arch },
});

describe('pool samples', () => {
  it('each tick that runs records, per pool, the pending work it could serve, its live instances and its seconds this month', async () => {
    await addPool(db, { name: 'amd', architectures: ['amd64'] });
    await addPool(db, { name: 'arm', architectures: ['arm64'] });
    await addPool(db, { name: 'idle', architectures: ['riscv64'] });
    await addRequests(db, 3, sbuild('amd64'));
    await addRequests(db, 1, sbuild('arm64'));
    let clock = at(0);
    const options = tickOptions(new InMemoryDummyCloud(), { now: () => clock, plan: { defaultTargetLatencySeconds: 0 } });

    const first = await tick(db, options);
    expect(first.ran).toBe(true);
    expect(first.launched.map((l) => l.pool).sort()).toEqual(['amd', 'amd', 'amd', 'arm']);
    clock = at(120);
    expect((await tick(db, options)).ran).toBe(true);

    // Sampled from each tick's snapshot, before it acted: the launches of the first show in the second.
    expect(await samples()).toEqual([
      { pool: 'amd', at: at(0).toISOString(), pending: 3, live: 0, seconds: 0 },
      { pool: 'arm', at: at(0).toISOString(), pending: 1, live: 0, seconds: 0 },
      { pool: 'idle', at: at(0).toISOString(), pending: 0, live: 0, seconds: 0 },
      { pool: 'amd', at: at(120).toISOString(), pending: 3, live: 3, seconds: 360 },
      { pool: 'arm', at: at(120).toISOString(), pending: 1, live: 1, seconds: 120 },
      { pool: 'idle', at: at(120).toISOString(), pending: 0, live: 0, seconds: 0 },
    ]);
  });

  it('a dry run, and a tick that finds another replica holding the lock, record nothing', async () => {
    await addPool(db, { name: 'amd' });
    await addRequests(db, 2);
    const clock = at(0);
    const options = tickOptions(new InMemoryDummyCloud(), { now: () => clock });

    expect((await tick(db, { ...options, dryRun: true })).ran).toBe(false);
    const lock = await acquireProvisioningLock(db.url, { waitMs: 0 });
    try {
      expect((await tick(db, options)).ran).toBe(false);
    } finally {
      await lock!.release();
    }
    expect(await samples()).toEqual([]);
  });

  it('deletes the pool samples older than the retention in the same statement, and writing the same instant twice changes nothing', async () => {
    await addPool(db, { name: 'amd' });
    const now = at(0);
    const old = (seconds: number) => new Date(now.getTime() - seconds * 1000);
    expect(POOL_SAMPLE_RETENTION_SECONDS).toBe(8 * 24 * 3600);
    await db.sequelize.query(
      `insert into worker_pool_samples (worker_pool_id, sampled_at, pending, live_instances, seconds_this_month)
       select id, unnest($1::timestamptz[]), 5, 5, 5 from worker_pools where name = 'amd'`,
      { bind: [[old(POOL_SAMPLE_RETENTION_SECONDS + 60), old(POOL_SAMPLE_RETENTION_SECONDS - 60)]] },
    );
    const sample = { pool: 'amd', pending: 2, liveInstances: 1, secondsThisMonth: 30.5 };

    expect(await recordPoolSamples(db, [sample, { ...sample, pool: 'deleted-meanwhile' }], { at: now })).toBe(1);
    expect(await recordPoolSamples(db, [{ ...sample, pending: 99 }], { at: now })).toBe(0);
    expect(await samples()).toEqual([
      { pool: 'amd', at: old(POOL_SAMPLE_RETENTION_SECONDS - 60).toISOString(), pending: 5, live: 5, seconds: 5 },
      { pool: 'amd', at: now.toISOString(), pending: 2, live: 1, seconds: 30.5 },
    ]);
  });

  it('counts a demand group in every pool that could serve it, once per pool', () => {
    const pool = (name: string, live: number, usedSeconds: number) =>
      ({ name, instances: Array.from({ length: live }), usedSeconds }) as unknown as Parameters<typeof poolSamples>[0]['pools'][number];
    const group = (pending: number, pools: string[]) =>
      ({ pending, pools }) as unknown as Parameters<typeof poolSamples>[0]['demand'][number];
    expect(
      poolSamples({ demand: [group(4, ['a', 'b', 'a']), group(2, ['b'])], pools: [pool('a', 1, 10), pool('b', 0, 0), pool('c', 2, 7)], medianTaskSeconds: {} }),
    ).toEqual([
      { pool: 'a', pending: 4, liveInstances: 1, secondsThisMonth: 10 },
      { pool: 'b', pending: 6, liveInstances: 0, secondsThisMonth: 0 },
      { pool: 'c', pending: 0, liveInstances: 2, secondsThisMonth: 7 },
    ]);
  });
});
