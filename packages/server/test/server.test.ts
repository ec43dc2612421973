import { upsertProviderAccount, upsertScope, upsertWorkerPool } from '@buildfleet/models';
import { hold, listDecisions, readMonthlyUsage, Reason, recordDecisions, startOfMonth } from '@buildfleet/provisioner';
import { createWorkRequest, getWorkRequest } from '@buildfleet/scheduler';
import { useTestDatabase } from '@buildfleet/testdb';
import { createStaticWorker } from '@buildfleet/worker-api';
import pino from 'pino';
import { type RunningServer, SimulatedWorker, startServer } from '../src';

const testDb = useTestDatabase();
let running: RunningServer;

beforeAll(async () => {
  running = await startServer({ databaseUrl: testDb.url, port: 0, scheduleIntervalMs: 200, logger: pino({ level: 'silent' }) });
  await upsertScope(running.db, { name: 'debian' });
});
afterAll(async () => {
  await running.close();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('sends / to the status UI, which it serves under /-/status', async () => {
  const root = await fetch(running.url, { redirect: 'manual' });
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/-/status/workers/');
  const workers = await fetch(`${running.url}/-/status/workers/?format=json`);
  expect(workers.status).toBe(200);
});

it('serves the worker API under /api, answering an unauthenticated call as Debusine does', async () => {
  const response = await fetch(`${running.apiUrl}/1.0/work-request/get-next-for-worker/`);
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
});

it('runs a work request end to end: a worker registers and connects, the dispatch loop assigns, the worker completes', async () => {
  const { activationKey: activationToken } = await createStaticWorker(running.db, 'simulated-1');
  const worker = new SimulatedWorker({ apiUrl: running.apiUrl, activationToken, name: 'simulated-1', duration: () => 50 });
  await worker.start();
  try {
    const { id } = await createWorkRequest(running.db, { scope: 'debian', taskName: 'noop' });
    const done = await until(async () => {
      const request = await getWorkRequest(running.db, id);
      return request.status === 'completed' ? request : undefined;
    }, 'the work request to complete');
    expect(done).toMatchObject({ result: 'success', worker: 'simulated-1' });
  } finally {
    worker.stop();
  }
});

it('shows the unmet demand on the queue page', async () => {
  await createWorkRequest(running.db, { scope: 'debian', taskName: 'noop', workerRequirements: ['site:nowhere'] });
  const queue = (await (await fetch(`${running.url}/-/status/queue/?format=json`)).json()) as {
    sections: { title: string; rows: Record<string, unknown>[] }[];
  };
  const unmet = queue.sections.find((s) => s.title === 'Unmet demand');
  expect(unmet?.rows).toContainEqual(
    expect.objectContaining({ scope: 'debian', requirements: expect.stringContaining('site:nowhere'), pools: 'none: no pool can run this' }),
  );
});

it('names on the queue page the connected workers excluded from waiting work, and why', async () => {
  await createStaticWorker(running.db, 'old-version-1');
  await running.db.sequelize.query(
    `update workers set dynamic_metadata = '{"system:worker_type": "external", "system:architectures": ["amd64"], "sbuild:version": 2, "sbuild:available": true}'::jsonb
      where name = 'old-version-1'`,
  );
  await running.db.sequelize.query(
    `insert into worker_sessions (worker_id, process_id, expires_at)
     select id, gen_random_uuid(), now() + interval '1 hour' from workers where name = 'old-version-1'`,
  );
  await createWorkRequest(running.db, {
    scope: 'debian',
    taskName: 'sbuild',
    taskData: { input: { source_artifact: 1 }, host_architecture: 'amd64', environment: 'trixie', worker_requirements: ['site:old-version'] },
  });
  const queue = (await (await fetch(`${running.url}/-/status/queue/?format=json`)).json()) as {
    sections: { title: string; rows: Record<string, unknown>[] }[];
  };
  const unmet = queue.sections.find((s) => s.title === 'Unmet demand');
  expect(unmet?.rows).toContainEqual(
    expect.objectContaining({
      requirements: expect.stringContaining('site:old-version'),
      excluded: 'old-version-1: reports sbuild:version 2; buildfleet runs sbuild at version 1',
    }),
  );
});

it('shows on a pool page the month-to-date usage and decisions the provisioner accounts and records, not figures of its own', async () => {
  await upsertProviderAccount(running.db, { name: 'dummy', provider_type: 'dummy' });
  await upsertWorkerPool(running.db, {
    name: 'accounted',
    providerAccount: 'dummy',
    architectures: ['amd64'],
    specifications: { provider_type: 'dummy' },
  });
  const pool = await running.db.models.WorkerPool.findOne({ where: { name: 'accounted' } });
  // A terminated instance's one-second runtime, ended a second ago but never before the month's
  // first second, so that all of it counts in this month whenever the test runs.
  const ended = new Date(Math.max(Date.now() - 1000, startOfMonth(new Date()).getTime() + 1000));
  await running.db.models.WorkerPoolStatistics.create({ workerPoolId: pool!.id, timestamp: ended, runtime: 1 });
  await recordDecisions(running.db, '00000000-0000-4000-8000-000000000001', [hold(Reason.PoolDisabled, { pool: 'accounted', pending: 2 })], {
    now: new Date(),
    holdDedupeSeconds: 0,
  });

  const page = (await (await fetch(`${running.url}/-/status/worker-pools/accounted/?format=json`)).json()) as {
    monthStart: string;
    pool: { secondsThisMonth: number };
    decisions: { reason: string; message: string }[];
  };
  const usage = await readMonthlyUsage(running.db, { now: new Date() });
  expect(page.monthStart).toBe(usage.monthStart.toISOString());
  expect(page.pool.secondsThisMonth).toBe(Math.floor(usage.pools.accounted!));
  expect(page.pool.secondsThisMonth).toBe(1);
  const recorded = await listDecisions(running.db, { pool: 'accounted', limit: 10 });
  expect(page.decisions).toEqual(recorded.map(({ decidedAt, kind, reason, message }) => ({ decidedAt, kind, reason, message })));
  expect(page.decisions.map((d) => d.reason)).toEqual(['PoolDisabled']);
});

it("charts on a pool page the samples the server's provisioning tick records", async () => {
  await upsertProviderAccount(running.db, { name: 'dummy', provider_type: 'dummy' });
  // Disabled: it launches nothing for the other tests' work, yet each tick samples it.
  await upsertWorkerPool(running.db, { name: 'charted', providerAccount: 'dummy', architectures: ['amd64'], specifications: { provider_type: 'dummy' }, enabled: false });
  const ticking = await startServer({ databaseUrl: testDb.url, port: 0, provisionIntervalMs: 200, logger: pino({ level: 'silent' }) });
  try {
    type Sample = { at: string; pending: number; liveInstances: number; secondsThisMonth: number };
    const samples = await until(async () => {
      const page = (await (await fetch(`${ticking.url}/-/status/worker-pools/charted/?format=json`)).json()) as { samples: { points: Sample[] } };
      return page.samples.points.length >= 2 ? page.samples.points : undefined;
    }, 'two ticks to sample the pool');
    expect(samples[0]).toEqual({ at: expect.any(String), pending: expect.any(Number), liveInstances: 0, secondsThisMonth: 0 });
    expect(Date.parse(samples[1]!.at)).toBeGreaterThan(Date.parse(samples[0]!.at));
    const html = await (await fetch(`${ticking.url}/-/status/worker-pools/charted/`)).text();
    expect([...html.matchAll(/<svg [^>]*aria-label="([^"]*)"/g)].map((m) => m[1])).toEqual([
      'Pending work this pool could serve',
      'Live instances',
      'Instance hours this month',
    ]);
  } finally {
    await ticking.close();
  }
});

it('aborts and retries work whose worker stays gone longer than lostWorkSeconds, and shows why on the queue page', async () => {
  const lostWork = await startServer({ databaseUrl: testDb.url, port: 0, provision: false, lostWorkSeconds: 2, logger: pino({ level: 'silent' }) });
  try {
    const { id } = await createWorkRequest(running.db, { scope: 'debian', taskName: 'noop', workerRequirements: ['site:lost'] });
    await running.db.sequelize.query(
      `with token as (insert into tokens (hash, enabled) values (encode(sha256(random()::text::bytea), 'hex'), true) returning id),
       worker as (insert into workers (name, token_id) select 'vanished', id from token returning id),
       session as (
         insert into worker_sessions (worker_id, process_id, connected_at, expires_at)
         select id, gen_random_uuid(), now() - interval '1 minute', now() from worker
       )
       update work_requests set status = 'running', started_at = now(), worker_id = (select id from worker) where id = $1`,
      { bind: [id] },
    );

    const lost = await until(async () => {
      const request = await getWorkRequest(running.db, id);
      return request.status === 'aborted' ? request : undefined;
    }, 'the lost work to be aborted');

    expect(lost).toMatchObject({ result: 'error', supersededBy: expect.any(String) });
    const queue = (await (await fetch(`${running.url}/-/status/queue/?format=json`)).json()) as {
      sections: { title: string; rows: Record<string, unknown>[] }[];
    };
    expect(queue.sections.find((s) => s.title === 'Work lost with its worker')?.rows).toContainEqual(
      expect.objectContaining({
        id,
        worker: 'vanished',
        reason: 'The worker was disconnected for more than 2 s while this request ran on it',
        retriedAs: lost.supersededBy,
      }),
    );
  } finally {
    await lostWork.close();
  }
});
