/**
 * One test per defect of Debusine's provisioner (docs/domain.md, "Where buildfleet differs from Debusine") that
 * buildfleet must not have, each named after the defect, against real PostgreSQL and the
 * dummy driver.
 */
import { type Database, hashTokenKey } from '@buildfleet/models';
import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { DummyDriver, RecordingDriver } from '@buildfleet/cloud-drivers';
import { Reason, readMonthlyUsage, tick } from '../src';
import {
  addPool,
  addRequest,
  addRequests,
  ageWorker,
  API_URL,
  connectWorker,
  dispatchAndStart,
  InMemoryDummyCloud,
  linkScope,
  liveWorkers,
  requestRows,
  resetDatabase,
  tickOptions,
  useDatabase,
  workerRows,
} from './fixtures';

const database = useDatabase();
let db: Database;
let cloud: InMemoryDummyCloud;

beforeAll(() => {
  db = database.db;
});

beforeEach(async () => {
  await resetDatabase(db);
  cloud = new InMemoryDummyCloud();
});

const run = (overrides = {}) => tick(db, tickOptions(cloud, overrides));
const reasons = (result: Awaited<ReturnType<typeof tick>>) => result.decisions.map((d) => d.reason);

/** Launches one instance in `pool` for a fresh request, connects it, and runs the request to completion. */
async function launchAndComplete(pool: string, requests = 1): Promise<string> {
  await addRequests(db, requests);
  const { launched } = await run();
  const worker = launched.find((l) => l.pool === pool)!.worker;
  await connectWorker(db, worker);
  for (let i = 0; i < requests; i++) {
    await dispatchAndStart(db);
    await db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where status = 'running'`);
  }
  return worker;
}

describe('Debusine defects buildfleet does not have', () => {
  it('stopped rows are not counted as idle: a stopped row is never terminated again and launches continue', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_idle_seconds: 60 } });
    const worker = await launchAndComplete('dummy-a');
    await ageWorker(db, worker, 3600);
    expect((await run()).terminated).toEqual([{ pool: 'dummy-a', worker }]);
    await db.sequelize.query(`update workers set registered_at = now() - interval '2 days' where name = $1`, { bind: [worker] });

    await addRequest(db);
    const next = await run();
    expect(next.terminated).toEqual([]);
    expect(next.launched).toEqual([{ pool: 'dummy-a', worker, instanceId: expect.any(String) as string }]);
  });

  it('stopped rows are not counted as available: a pool full of stopped rows still launches for new demand', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_active_instances: 2 } });
    await addRequests(db, 10);
    await run({ plan: { defaultTargetLatencySeconds: 600 } });
    for (const name of await liveWorkers(db)) await db.sequelize.query(`update workers set instance_created_at = null where name = $1`, { bind: [name] });
    const again = await run({ plan: { defaultTargetLatencySeconds: 600 } });
    expect(again.launched).toHaveLength(2);
  });

  it('a relaunched row is not reaped at once although its last work completed hours ago', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_idle_seconds: 600 } });
    const worker = await launchAndComplete('dummy-a');
    await db.sequelize.query(`update work_requests set completed_at = now() - interval '6 hours'`);
    await ageWorker(db, worker, 7 * 3600);
    expect((await run()).terminated).toEqual([{ pool: 'dummy-a', worker }]);

    await addRequest(db);
    expect((await run()).launched.map((l) => l.worker)).toEqual([worker]);
    const after = await run();
    expect(after.terminated).toEqual([]);
    expect(await liveWorkers(db)).toEqual([worker]);
  });

  it('the idle query works for a worker with a long, busy history', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_idle_seconds: 600 } });
    const worker = await launchAndComplete('dummy-a', 5);
    expect((await run()).terminated).toEqual([]);
    await db.sequelize.query(`update work_requests set completed_at = now() - interval '1 hour'`);
    await ageWorker(db, worker, 7200);
    expect((await run()).terminated).toEqual([{ pool: 'dummy-a', worker }]);
  });

  it('pending work assigned to a terminated worker goes back to the queue', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_idle_seconds: 60 } });
    const [first] = await addRequests(db, 1);
    const { launched } = await run();
    await connectWorker(db, launched[0]!.worker);
    await dispatchAndStart(db);
    await db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where id = $1`, { bind: [first] });
    const pending = await addRequest(db);
    await db.sequelize.query(`update work_requests set worker_id = (select id from workers where name = $1) where id = $2`, {
      bind: [launched[0]!.worker, pending],
    });
    // The instance vanishes (a spot reclaim): reconciliation stops the row.
    cloud.instances.clear();
    await ageWorker(db, launched[0]!.worker, 3600);
    const result = await run();
    expect(reasons(result)).toContain(Reason.VanishedInstance);
    expect((await requestRows(db)).find((r) => r.id === pending)).toMatchObject({ status: 'pending', worker: null });
  });

  it('running work on a terminated worker is retried as a worker failure, at most 3 automatic retries', async () => {
    await addPool(db, { name: 'dummy-a' });
    const id = await addRequest(db);
    await db.sequelize.query(`update work_requests set retry_count = 2 where id = $1`, { bind: [id] });
    const { launched } = await run();
    const worker = launched[0]!.worker;
    await connectWorker(db, worker);
    await dispatchAndStart(db);
    cloud.instances.clear();
    await ageWorker(db, worker, 3600);
    await run({ plan: { defaultTargetLatencySeconds: 1 } });

    const rows = await requestRows(db);
    expect(rows.find((r) => r.id === id)).toMatchObject({ status: 'aborted' });
    const retry = rows.find((r) => r.supersedes_id === id)!;
    expect(retry).toMatchObject({ retry_count: 3 });
    // The retry runs on a new instance, which is lost too: no fourth retry.
    await connectWorker(db, (await liveWorkers(db))[0]!);
    await dispatchAndStart(db);
    cloud.instances.clear();
    await ageWorker(db, (await liveWorkers(db))[0]!, 3600);
    await run();
    const final = await requestRows(db);
    expect(final.find((r) => r.id === retry.id)).toMatchObject({ status: 'aborted' });
    expect(final.filter((r) => r.supersedes_id === retry.id)).toEqual([]);
  });

  it('reconciliation exists: an instance of ours that no row claims is terminated', async () => {
    await addPool(db, { name: 'dummy-a' });
    const installation = (await db.sequelize.query<{ installation_id: string }>(`select installation_id from installation_settings`, {
      type: QueryTypes.SELECT,
    }))[0]!.installation_id;
    const stray = new DummyDriver({ installationId: installation, cloud });
    await stray.launch([{ workerName: 'dummy-a-099', poolName: 'dummy-a', userData: '#cloud-config\n', labels: {} }]);
    const result = await run();
    expect(result.decisions).toContainEqual(expect.objectContaining({ reason: Reason.OrphanInstance, worker: 'dummy-a-099' }));
    expect(await stray.list()).toEqual([]);
  });

  it('cloud calls are never made inside a database transaction or row lock', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_idle_seconds: 0 } });
    await addRequests(db, 3);
    const observer = new pg.Client({ connectionString: db.url });
    await observer.connect();
    const seen: number[] = [];
    const openTransactions = async () => {
      const { rows } = await observer.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'`,
      );
      seen.push(rows[0]!.n);
    };
    const watching = new RecordingDriver(new DummyDriver({ installationId: 'test-watch', cloud }), { beforeCall: openTransactions });
    try {
      const options = { driverFor: () => watching, installationId: 'test-watch' };
      const launched = await run(options);
      expect(launched.launched).toHaveLength(1);
      await ageWorker(db, launched.launched[0]!.worker, 60);
      await db.sequelize.query(`delete from work_requests`);
      expect((await run(options)).terminated).toHaveLength(1);
    } finally {
      await observer.end();
    }
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.every((n) => n === 0)).toBe(true);
  });

  it('one provider error does not abort the whole pass: other pools still launch and the failing pool backs off', async () => {
    await addPool(db, { name: 'broken', specifications: { provider_type: 'dummy', failure_rate: 1 } });
    await addPool(db, { name: 'healthy' });
    await linkScope(db, 'debian', 'broken', {}, 10);
    await addRequests(db, 4);
    const result = await run({ plan: { defaultTargetLatencySeconds: 600 } });
    expect(result.launched.map((l) => l.pool)).toEqual([]);
    expect(result.decisions).toContainEqual(expect.objectContaining({ kind: 'error', reason: Reason.LaunchFailed, pool: 'broken', count: 4 }));
    const [health] = await db.sequelize.query<{ consecutive_failures: number; last_error_kind: string }>(
      `select consecutive_failures, last_error_kind from worker_pool_health h join worker_pools p on p.id = h.worker_pool_id where p.name = 'broken'`,
      { type: QueryTypes.SELECT },
    );
    expect(health).toEqual({ consecutive_failures: 1, last_error_kind: 'capacity' });

    const next = await run({ plan: { defaultTargetLatencySeconds: 600 } });
    expect(next.decisions).toContainEqual(expect.objectContaining({ reason: Reason.PoolBackingOff, pool: 'broken' }));
    expect(next.launched.map((l) => l.pool)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
  });

  it('max_idle_seconds is honoured instead of a fixed 10 minutes', async () => {
    await addPool(db, { name: 'short', limits: { max_idle_seconds: 120 } });
    await addPool(db, { name: 'long', limits: { max_idle_seconds: 7200 } });
    await linkScope(db, 'debian', 'short', {}, 2);
    await linkScope(db, 'debian', 'long', {}, 1);
    await addRequest(db);
    const short = (await run()).launched[0]!.worker;
    await connectWorker(db, short);
    await dispatchAndStart(db);
    await db.sequelize.query(`update worker_pools set enabled = false where name = 'short'`);
    await addRequest(db);
    const long = (await run()).launched[0]!.worker;
    await connectWorker(db, long);
    await db.sequelize.query(`delete from work_requests`);
    for (const name of [short, long]) await ageWorker(db, name, 1800);
    expect((await run()).terminated).toEqual([{ pool: 'short', worker: short }]);
  });

  it('enabled is honoured: a disabled pool launches nothing, and its demand spills to the next pool', async () => {
    await addPool(db, { name: 'off', enabled: false });
    await addPool(db, { name: 'on' });
    await linkScope(db, 'debian', 'off', {}, 5);
    await addRequest(db);
    const result = await run();
    expect(result.launched.map((l) => l.pool)).toEqual(['on']);
    expect(result.decisions).toContainEqual(expect.objectContaining({ kind: 'hold', reason: Reason.PoolDisabled, pool: 'off' }));
  });

  it('architectures are honoured: arm64 work launches only in an arm64 pool, and says so when there is none', async () => {
    await addPool(db, { name: 'amd', architectures: ['amd64'] });
    await addRequest(db, {
      taskName: 'sbuild',
      taskData: { input: { source_artifact: 1 }, environment: 'debian/match:codename=trixie', host_architecture: 'arm64' },
    });
    const none = await run();
    expect(none.launched).toEqual([]);
    expect(none.decisions).toContainEqual(expect.objectContaining({ reason: Reason.NoCompatiblePool, scope: 'debian' }));
    await addPool(db, { name: 'arm', architectures: ['arm64'] });
    expect((await run()).launched.map((l) => l.pool)).toEqual(['arm']);
  });

  it('ephemeral is honoured: an instance of an ephemeral pool is terminated after its one request', async () => {
    await addPool(db, { name: 'once', ephemeral: true });
    const worker = await launchAndComplete('once');
    const result = await run();
    expect(result.terminated).toEqual([{ pool: 'once', worker }]);
    expect(result.decisions).toContainEqual(expect.objectContaining({ reason: Reason.EphemeralDone, worker }));
  });

  it("target_latency_seconds is honoured instead of a fixed hour: the scope's target sizes the launch", async () => {
    await addPool(db, { name: 'dummy-a' });
    await linkScope(db, 'debian', 'dummy-a', { target_latency_seconds: 600 });
    await addRequests(db, 4);
    const result = await run();
    expect(result.launched).toHaveLength(4);
    expect(result.decisions).toContainEqual(
      expect.objectContaining({ reason: Reason.LaunchForLatency, message:
          'launch 4 in dummy-a: scope debian has 4 pending requests, an estimated 40 min of work for one instance (10 min each: default, no recent run) > target 10 min', }),
    );
  });

  it('the pending count has no stale requests: completed and aborted requests launch nothing', async () => {
    await addPool(db, { name: 'dummy-a' });
    const [done, dropped] = await addRequests(db, 2);
    await db.sequelize.query(
      `update work_requests set status = case when id = $1 then 'completed' else 'aborted' end, completed_at = now() where id in ($1, $2)`,
      { bind: [done, dropped] },
    );
    expect((await run()).launched).toEqual([]);
  });

  it('stopped rows do not count toward max_active_instances', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_active_instances: 2 } });
    await db.sequelize.query(
      `with t as (insert into tokens (hash) select md5(n::text) || md5(n::text) from generate_series(1, 5) n returning id)
       insert into workers (name, worker_pool_id, token_id)
       select 'dummy-a-' || lpad(row_number() over ()::text, 3, '0'), (select id from worker_pools), id from t`,
    );
    await addRequests(db, 8);
    const result = await run({ plan: { defaultTargetLatencySeconds: 600 } });
    expect(result.launched.map((l) => l.worker)).toEqual(['dummy-a-001', 'dummy-a-002']);
  });

  it('a launch that reuses a stopped row also creates the new rows it needs', async () => {
    await addPool(db, { name: 'dummy-a', limits: { max_active_instances: 3 } });
    await db.sequelize.query(
      `with t as (insert into tokens (hash) values (md5('stopped') || md5('stopped')) returning id)
       insert into workers (name, worker_pool_id, token_id) select 'dummy-a-001', (select id from worker_pools), id from t`,
    );
    await addRequests(db, 8);
    const result = await run({ plan: { defaultTargetLatencySeconds: 600 } });
    expect(result.launched.map((l) => l.worker)).toEqual(['dummy-a-001', 'dummy-a-002', 'dummy-a-003']);
  });

  it('a pool a scope links and that is instance-wide is planned once, not twice', async () => {
    await addPool(db, { name: 'dummy-a' });
    await linkScope(db, 'debian', 'dummy-a', {});
    await addRequest(db);
    expect((await run()).launched).toHaveLength(1);
  });

  it('the activation token outlives a slow boot: 1 hour by default, configurable, stored only as a hash', async () => {
    await addPool(db, { name: 'dummy-a' });
    await addRequest(db);
    const recording = new RecordingDriver(new DummyDriver({ installationId: 'token-test', cloud }));
    await run({ driverFor: () => recording, installationId: 'token-test' });
    const userData = recording.launchedSpecs.map((s) => s.userData);
    const key = /\b[0-9a-f]{64}\b/.exec(userData[0]!)?.[0];
    expect(key).toBeDefined();
    expect(userData[0]).toContain(API_URL);
    const [token] = await db.sequelize.query<{ hash: string; lifetime: number; enabled: boolean }>(
      `select t.hash, extract(epoch from t.expire_at - t.created_at)::int as lifetime, t.enabled
         from workers w join tokens t on t.id = w.activation_token_id`,
      { type: QueryTypes.SELECT },
    );
    expect(token).toMatchObject({ hash: hashTokenKey(key!), enabled: true });
    expect(Math.abs(token!.lifetime - 3600)).toBeLessThanOrEqual(1);
    const [{ n }] = (await db.sequelize.query(`select count(*)::int as n from tokens where hash = $1`, {
      bind: [key],
      type: QueryTypes.SELECT,
    })) as [{ n: number }];
    expect(n).toBe(0);

    await addRequests(db, 3);
    await run({ bootstrap: { apiUrl: API_URL, activationTokenLifetimeSeconds: 7200 } });
    const lifetimes = await db.sequelize.query<{ lifetime: number }>(
      `select extract(epoch from t.expire_at - t.created_at)::int as lifetime from workers w join tokens t on t.id = w.activation_token_id order by w.name`,
      { type: QueryTypes.SELECT },
    );
    expect(lifetimes.map((l) => Math.round(l.lifetime / 60))).toEqual([60, 120]);
  });

  it('booting and disconnected instances are billed to the month from launch, not only connected ones', async () => {
    await addPool(db, { name: 'dummy-a' });
    await addRequest(db);
    const { launched } = await run();
    // Launched at a fixed instant and read 1,000 s later: inside one month whatever the clock says.
    const launchedAt = new Date('2026-06-15T12:00:00Z');
    await db.sequelize.query('update workers set instance_created_at = $2 where name = $1', { bind: [launched[0]!.worker, launchedAt] });
    const usage = await readMonthlyUsage(db, { now: new Date(launchedAt.getTime() + 1000_000) });
    expect(usage.pools['dummy-a']).toBe(1000);
    expect((await workerRows(db, 'dummy-a'))[0]!.connected_at).toBeNull();
  });
});
