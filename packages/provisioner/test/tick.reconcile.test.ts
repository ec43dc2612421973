import { DummyDriver, ProviderError, RecordingDriver } from '@buildfleet/cloud-drivers';
import { type Database, upsertProviderAccount } from '@buildfleet/models';
import { Reason, renderUserData, tick } from '../src';
import { claimWorkers } from '../src/sql/claimWorkers';
import { addPool, addRequests, ageWorker, API_URL, InMemoryDummyCloud, liveWorkers, requestRows, resetDatabase, tickOptions, useDatabase, workerRows } from './fixtures';

const database = useDatabase();
let db: Database;
let cloud: InMemoryDummyCloud;
const INSTALLATION = 'reconcile-test';

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  cloud = new InMemoryDummyCloud();
});

const driver = () => new DummyDriver({ installationId: INSTALLATION, cloud });
const run = (overrides = {}) => tick(db, tickOptions(cloud, { installationId: INSTALLATION, ...overrides }));
const poolId = async (name: string) => (await db.models.WorkerPool.findOne({ where: { name } }))!.id;

/** The state a crash leaves between the provider's launch and the database save. */
async function crashAfterLaunch(pool: string, count: number, at: Date): Promise<string[]> {
  const claim = await claimWorkers(db, await poolId(pool), count, { force: false, tokenLifetimeSeconds: 3600, now: at, image: null });
  const specifications = (await db.models.WorkerPool.findOne({ where: { name: pool } }))!.specifications;
  await driver().launch(
    claim.workers.map((w) => ({
      workerName: w.name,
      poolName: pool,
      userData: renderUserData(specifications, w.activationKey, { apiUrl: API_URL }),
      labels: {},
    })),
  );
  return claim.workers.map((w) => w.name);
}

describe('reconciliation in the tick', () => {
  it('adopts instances launched just before a crash, and launches nothing twice for them', async () => {
    await addPool(db, { name: 'dummy-a' });
    await addRequests(db, 2);
    const workers = await crashAfterLaunch('dummy-a', 2, new Date());
    expect((await workerRows(db)).map((w) => w.instance_id)).toEqual([null, null]);

    const result = await run();
    expect(result.decisions.filter((d) => d.reason === Reason.AdoptedInstance).map((d) => d.worker)).toEqual(workers);
    expect(result.launched).toEqual([]);
    const rows = await workerRows(db);
    expect(rows.map((w) => w.instance_id)).toEqual([...cloud.instances.keys()]);
    expect(cloud.instances.size).toBe(2);
  });

  it('leaves nothing orphaned when the driver fails after creating instances: the next tick terminates them', async () => {
    await addPool(db, { name: 'dummy-a' });
    await addRequests(db, 1);
    const failing = new RecordingDriver(driver()).fail('launch', new Error('connection reset after the provider answered'), { afterCall: true });
    const first = await run({ driverFor: () => failing });
    expect(first.decisions).toContainEqual(expect.objectContaining({ reason: Reason.LaunchFailed, pool: 'dummy-a' }));
    expect(await liveWorkers(db)).toEqual([]);
    expect(cloud.instances.size).toBe(1);

    const second = await run({ backoffBaseSeconds: 3600 });
    expect(second.decisions).toContainEqual(expect.objectContaining({ reason: Reason.OrphanInstance, worker: 'dummy-a-001' }));
    expect(cloud.instances.size).toBe(0);
  });

  it('stops a row whose launch never reached the provider once the grace period is over', async () => {
    await addPool(db, { name: 'dummy-a' });
    await claimWorkers(db, await poolId('dummy-a'), 1, { force: false, tokenLifetimeSeconds: 3600, now: new Date(Date.now() - 600_000), image: null });
    const result = await run();
    expect(result.decisions).toContainEqual(expect.objectContaining({ reason: Reason.LaunchLost, worker: 'dummy-a-001' }));
    expect(await liveWorkers(db)).toEqual([]);
    const [stats] = (await db.sequelize.query(`select count(*)::int as n from worker_pool_statistics`)) as [{ n: number }[], unknown];
    expect(stats[0]!.n).toBe(0);
  });

  it('stops a row whose instance vanished, charges its runtime and requeues its work', async () => {
    await addPool(db, { name: 'dummy-a' });
    const [request] = await addRequests(db, 1);
    const { launched } = await run();
    await db.sequelize.query(`update workers set instance_created_at = now() - interval '1 hour' where name = $1`, {
      bind: [launched[0]!.worker],
    });
    await db.sequelize.query(`update work_requests set worker_id = (select id from workers where name = $1) where id = $2`, {
      bind: [launched[0]!.worker, request],
    });
    cloud.instances.clear();
    const result = await run({ plan: { defaultTargetLatencySeconds: 100_000 } });
    expect(result.decisions).toContainEqual(expect.objectContaining({ reason: Reason.VanishedInstance, worker: launched[0]!.worker }));
    const [stats] = (await db.sequelize.query(`select runtime from worker_pool_statistics`)) as [{ runtime: number }[], unknown];
    expect(stats[0]!.runtime).toBeGreaterThanOrEqual(3600);
    expect((await requestRows(db))[0]).toMatchObject({ status: 'pending' });
    expect(result.launched).toHaveLength(1);
  });

  it('a dry run lists and plans but records, launches and terminates nothing', async () => {
    await addPool(db, { name: 'dummy-a' });
    await addRequests(db, 3);
    await driver().launch([{ workerName: 'stray-1', poolName: 'dummy-a', userData: '#cloud-config\n', labels: {} }]);
    const result = await run({ dryRun: true });
    expect(result.ran).toBe(false);
    expect(result.decisions.map((d) => d.reason)).toEqual([Reason.OrphanInstance, Reason.LaunchForDemand]);
    expect(cloud.instances.size).toBe(1);
    expect(await workerRows(db)).toEqual([]);
    const [rows] = (await db.sequelize.query(`select count(*)::int as n from provisioning_decisions`)) as [{ n: number }[], unknown];
    expect(rows[0]!.n).toBe(0);
  });

  it('records a failed termination, keeps the instance live with its token disabled, and terminates it at the next tick', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_idle_seconds: 60 } });
    await addRequests(db, 1);
    const { launched } = await run();
    const worker = launched[0]!.worker;
    await db.sequelize.query(`delete from work_requests`);
    await ageWorker(db, worker, 600);
    const refusing = new RecordingDriver(driver()).fail('terminate', new ProviderError('auth', 'dummy: not allowed to delete'));

    const failed = await run({ driverFor: () => refusing });

    expect(failed.decisions).toContainEqual(expect.objectContaining({ kind: 'error', reason: Reason.TerminateFailed, worker }));
    expect(refusing.terminatedIds).toEqual([launched[0]!.instanceId]);
    expect(await liveWorkers(db)).toEqual([worker]);
    expect(cloud.instances.size).toBe(1);
    const [token] = (await db.sequelize.query(
      `select t.enabled from workers w join tokens t on t.id = coalesce(w.token_id, w.activation_token_id) where w.name = $1`,
      { bind: [worker] },
    )) as [{ enabled: boolean }[], unknown];
    expect(token).toEqual([{ enabled: false }]);

    const next = await run();
    expect(next.terminated).toEqual([{ pool: 'dummy-a', worker }]);
    expect(cloud.instances.size).toBe(0);
  });

  it('skips reconciling the pools of an account whose listing fails, and still reconciles the other accounts', async () => {
    await upsertProviderAccount(db, { name: 'dummy-other', provider_type: 'dummy' });
    await addPool(db, { name: 'dummy-a' });
    await addPool(db, { name: 'dummy-b', providerAccount: 'dummy-other' });
    const otherCloud = new InMemoryDummyCloud();
    const otherDriver = () => new DummyDriver({ installationId: INSTALLATION, cloud: otherCloud });
    for (const [launcher, worker] of [[driver(), 'dummy-a-099'], [otherDriver(), 'dummy-b-099']] as const) {
      await launcher.launch([{ workerName: worker, poolName: worker.slice(0, 7), userData: '#cloud-config\n', labels: {} }]);
    }
    const unlistable = new RecordingDriver(driver()).fail('list', new ProviderError('transient', 'dummy: listing timed out'));

    const result = await run({ driverFor: (pool: { name: string }) => (pool.name === 'dummy-a' ? unlistable : otherDriver()) });

    expect(result.decisions).toContainEqual(expect.objectContaining({ kind: 'error', reason: Reason.ListFailed, pool: null }));
    expect(result.decisions.find((d) => d.reason === Reason.ListFailed)!.message).toContain('not reconciling dummy-a');
    expect(result.decisions.filter((d) => d.reason === Reason.OrphanInstance).map((d) => d.worker)).toEqual(['dummy-b-099']);
    expect([...cloud.instances.values()].map((i) => i.labels['buildfleet-worker'])).toEqual(['dummy-a-099']);
    expect(otherCloud.instances.size).toBe(0);
  });
});
