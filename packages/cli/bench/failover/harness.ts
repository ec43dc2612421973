import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, type Database, upsertProviderAccount, upsertScope, upsertWorkerPool } from '@buildfleet/models';
import { DatabaseDummyCloud } from '@buildfleet/provisioner';
import { createWorkRequest } from '@buildfleet/scheduler';
import { SimulatedFleet, SimulatedWorker } from '@buildfleet/server';
import { createStaticWorker } from '@buildfleet/worker-api';
import pino from 'pino';
import { Haproxy } from './haproxy';
import {
  completedCount,
  disconnectedWorkers,
  installRecorders,
  launchAudit,
  lostRuns,
  readOutcome,
  reconnectDelays,
  select,
  workersHeldBy,
} from './observe';
import { RealWorker } from './real-worker';
import { Replica } from './replica';

export interface FailoverOptions {
  /** A migrated database of the run's own. */
  databaseUrl: string;
  /** (Default: 500) */
  requests?: number;
  /** Static simulated workers. (Default: 20) */
  simulatedWorkers?: number;
  /** Instances of a dummy pool the replicas' provisioners launch, played by simulated workers. (Default: 3) */
  poolInstances?: number;
  /** Run the real debusine-worker from the chroot too. (Default: true) */
  realWorker?: boolean;
  /** `serve --session-lease`. (Default: 5) */
  leaseSeconds?: number;
  /** How long a simulated worker takes per request, on average. (Default: 1000) */
  taskMs?: number;
  /** Progress lines. (Default: none) */
  progress?: (line: string) => void;
}

export interface FailoverReport {
  replicas: number;
  requests: number;
  lost: number;
  duplicates: number;
  expiredAssignments: number;
  reconnectP95Ms: number;
  stallMaxMs: number;
  /** Workers that had a session through a disrupted replica and never opened one elsewhere. */
  notReconnected: number;
  /** Workers without a live session at the end. */
  disconnectedAtEnd: string[];
  duplicateLaunches: string[];
  orphans: string[];
  workers: number;
  /** Requests the real debusine-worker completed. */
  realWorkerCompleted: number;
  durationMs: number;
}

const REPLICAS = ['a', 'b', 'c'] as const;

/**
 * Three `buildfleet serve` replicas on one database behind Debian's haproxy; static simulated
 * workers, a dummy pool's simulated instances and (optionally) the real debusine-worker, all
 * through haproxy; `requests` queued noops. Once a quarter has completed, replica a is
 * SIGKILLed; at 40% and 65% b and then c are restarted (SIGTERM, start). Runs until every
 * request completed (or 90 s passed) and reports what the database recorded.
 */
export async function runFailover(options: FailoverOptions): Promise<FailoverReport> {
  const started = Date.now();
  const say = (line: string) => options.progress?.(`${((Date.now() - started) / 1000).toFixed(1)} s: ${line}`);
  const requests = options.requests ?? 500;
  const leaseSeconds = options.leaseSeconds ?? 5;
  const taskMs = options.taskMs ?? 1000;
  const db = connectDatabase(options.databaseUrl, 4);
  const directory = mkdtempSync(join(tmpdir(), 'buildfleet-failover-'));
  const ports = await freePorts(REPLICAS.length + 1);
  const haproxy = new Haproxy(directory, ports[0]!, REPLICAS.map((name, i) => ({ name, port: ports[i + 1]! })));
  const apiUrl = `http://127.0.0.1:${haproxy.port}/api`;
  const replicas = REPLICAS.map(
    (name, i) => new Replica({ name, port: ports[i + 1]!, databaseUrl: options.databaseUrl, apiUrl, leaseSeconds }),
  );
  const simulated: SimulatedWorker[] = [];
  let fleet: SimulatedFleet | undefined;
  let real: RealWorker | undefined;
  try {
    await installRecorders(db);
    const names = await seed(db, options.simulatedWorkers ?? 20, options.poolInstances ?? 3, options.realWorker ?? true);
    await Promise.all(replicas.map((r) => r.start()));
    await haproxy.start();
    say(`replicas ${replicas.map((r) => r.url).join(', ')} behind haproxy on ${haproxy.port}`);

    const duration = () => taskMs * (0.75 + Math.random() / 2);
    for (const { name, activationKey } of names.simulated) {
      const worker = new SimulatedWorker({ apiUrl, activationToken: activationKey, name, duration });
      simulated.push(worker);
      await worker.start();
    }
    fleet = new SimulatedFleet({ cloud: new DatabaseDummyCloud(db), apiUrl, bootDelayMs: 1000, duration, logger: pino({ level: 'silent' }) });
    fleet.start();
    if (names.real) {
      real = new RealWorker(apiUrl, names.real.activationKey);
      real.start();
    }
    const everyone = [...names.simulated.map((w) => w.name), ...(names.real ? [names.real.name] : [])];
    await until('every static worker to connect', 60_000, async () => (await disconnectedWorkers(db, everyone)).length === 0);

    const queued = await queueNoops(db, requests);
    say(`queued ${requests} noop requests`);
    const progress = () => completedCount(db, queued);

    await until('a quarter of the requests to complete', 90_000, async () => (await progress()) >= requests / 4);
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const killedWorkers = await workersHeldBy(db, a.processId);
    const killedAt = new Date();
    await a.kill();
    say(`SIGKILLed replica a (${killedWorkers.length} workers through it) at ${await progress()} completed`);
    const disruptions = [{ processId: a.processId, at: killedAt, workers: killedWorkers }];
    for (const [replica, share] of [[b, 0.4], [c, 0.65]] as const) {
      await until(`${share * 100}% of the requests to complete`, 90_000, async () => (await progress()) >= requests * share);
      const workers = await workersHeldBy(db, replica.processId);
      const at = new Date();
      const processId = replica.processId;
      await replica.stop();
      await replica.start();
      disruptions.push({ processId, at, workers });
      say(`restarted replica ${replica.options.name} (${workers.length} workers through it) at ${await progress()} completed`);
    }

    await until('every request to complete', 90_000, async () => (await progress()) >= requests).catch(() => undefined);
    const outcome = await readOutcome(db, queued, killedAt);
    if (outcome.lost) say(`lost:\n${(await lostRuns(db, queued)).join('\n')}`);
    // Workers whose last session went down with the final restart may still be reconnecting.
    await until('every worker to be connected again', 20_000, async () => (await disconnectedWorkers(db, everyone)).length === 0).catch(() => undefined);
    let audit = await launchAudit(db);
    for (let i = 0; i < 20 && (audit.orphans.length || audit.duplicateLaunches.length); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500)); // a launch may be between its cloud call and its row
      audit = await launchAudit(db);
    }
    const delays = (await Promise.all(disruptions.map((d) => reconnectDelays(db, d)))).flat();
    const measured = delays.filter((d): d is number => d !== null).sort((x, y) => x - y);
    return {
      replicas: replicas.length,
      requests,
      ...outcome,
      reconnectP95Ms: Math.round(measured[Math.max(0, Math.ceil(measured.length * 0.95) - 1)] ?? 0),
      notReconnected: delays.length - measured.length,
      disconnectedAtEnd: await disconnectedWorkers(db, everyone),
      ...audit,
      workers: everyone.length + (options.poolInstances ?? 3),
      realWorkerCompleted: (
        await select<{ n: number }>(
          db,
          `select count(*)::int as n from work_requests r join workers w on w.id = r.worker_id
            where w.name = 'debusine-worker' and r.status = 'completed'`,
        )
      )[0]!.n,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    for (const replica of replicas) say(`--- replica ${replica.options.name} log tail:\n${replica.log.slice(-3000)}`);
    say(`--- haproxy:\n${haproxy.output.slice(-2000)}`);
    if (real) say(`--- debusine-worker:\n${real.output.replace(/[0-9a-f]{64}/g, '<token>').slice(-3000)}`);
    throw error;
  } finally {
    fleet?.stop();
    for (const worker of simulated) worker.stop();
    await real?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    await haproxy.stop();
    await db.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function seed(db: Database, simulatedWorkers: number, poolInstances: number, realWorker: boolean) {
  await upsertScope(db, { name: 'debian' });
  await upsertProviderAccount(db, { name: 'pretend', provider_type: 'dummy' });
  await upsertWorkerPool(db, {
    name: 'failover',
    providerAccount: 'pretend',
    architectures: ['amd64'],
    specifications: { provider_type: 'dummy', boot_delay_seconds: 1 },
    limits: { max_active_instances: poolInstances, max_idle_seconds: 3600 },
  });
  const simulated = [];
  for (let i = 1; i <= simulatedWorkers; i++) {
    const name = `simulated-${String(i).padStart(2, '0')}`;
    simulated.push({ name, activationKey: (await createStaticWorker(db, name)).activationKey });
  }
  const real = realWorker ? await createStaticWorker(db, 'debusine-worker') : undefined;
  return { simulated, real: real ? { name: real.worker.name, activationKey: real.activationKey } : undefined };
}

/** One noop through the scheduler's validation, then copies of it in one statement, so the queue fills at once. */
async function queueNoops(db: Database, count: number): Promise<string[]> {
  const first = await createWorkRequest(db, { scope: 'debian', taskName: 'noop' });
  const rows = await select<{ id: string }>(
    db,
    `insert into work_requests (scope_id, task_type, task_name, task_data, priority_base, requirement_set_id)
     select r.scope_id, r.task_type, r.task_name, r.task_data, r.priority_base, r.requirement_set_id
       from work_requests r, generate_series(2, $2::int)
      where r.id = $1::bigint
     returning id`,
    [first.id, count],
  );
  return [first.id, ...rows.map((r) => r.id)];
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`failover: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePorts(count: number): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
          });
        }),
    ),
  );
}
