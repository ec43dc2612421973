/**
 * What both fleet benchmarks share (the closed loop of `fleet.bench.ts`, the offered rates of
 * `fleet-open.bench.ts`): one `serve` in a process of its own on a fresh database, N simulated
 * workers connected to it over Debusine's real protocol, and the probes that read its CPU time,
 * memory and statements, PostgreSQL's CPU time and the machine's busy cores.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDatabase, connectedSinceSql, type Database, upsertScope } from '@buildfleet/models';
import { createTestDatabase } from '@buildfleet/testdb';
import { createStaticWorker } from '@buildfleet/worker-api';
import { QueryTypes } from 'sequelize';
import { SimulatedWorker } from '../src';

const TIMEOUT_MS = 600_000;
const START_BATCH = 50;

export async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function count(db: Database, sql: string, bind: unknown[] = []): Promise<number> {
  const [row] = await db.sequelize.query<{ n: number }>(sql, { type: QueryTypes.SELECT, bind });
  return row!.n;
}

export function round(value: number, digits = 1): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

export interface ServerSample {
  rss: number;
  /** V8's live heap after a full collection. */
  heapUsed: number;
  cpuMs: number;
  /** Statements sent so far, by their first words. */
  statements: Record<string, number>;
}

export function ask(child: ChildProcess): Promise<ServerSample> {
  return new Promise((resolve) => {
    const onMessage = (message: ServerSample & { type: string }) => {
      if (message.type !== 'rss') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'rss' });
  });
}

/** The server's peak resident set so far (Linux's VmHWM), in MiB. */
export function peakRssMib(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Math.round(Number(line!.split(/\s+/)[1]) / 1024);
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
export function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** CPU time so far of each PostgreSQL backend connected to `db`'s database, in ms, by pid. */
async function backendCpuMs(db: Database): Promise<Map<number, number>> {
  const backends = await db.sequelize.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()', {
    type: QueryTypes.SELECT,
  });
  const ticksPerMs = 100 / 1000;
  const cpu = new Map<number, number>();
  for (const { pid } of backends) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
    } catch {
      // Not on this machine, not readable, or gone since.
    }
  }
  return cpu;
}

/**
 * CPU time so far of the PostgreSQL backends connected to `db`'s database, in ms (from /proc,
 * so only when PostgreSQL runs on this machine and its processes are readable; else 0).
 */
export async function postgresCpuMs(db: Database): Promise<number> {
  return [...(await backendCpuMs(db)).values()].reduce((sum, ms) => sum + ms, 0);
}

/**
 * The PostgreSQL backends' CPU time from now until `stop`, sampled every 250 ms, so that a
 * backend the pool closes meanwhile (an idle connection) still counts up to its last sample
 * and one it opens counts from its start.
 */
export async function meterPostgresCpu(db: Database): Promise<{ stop: () => Promise<number> }> {
  const first = await backendCpuMs(db);
  const last = new Map(first);
  const sample = async () => {
    for (const [pid, ms] of await backendCpuMs(db)) last.set(pid, ms);
  };
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, 250);
  return {
    stop: async () => {
      clearInterval(timer);
      await sampling;
      await sample();
      return [...last].reduce((sum, [pid, ms]) => sum + ms - (first.get(pid) ?? 0), 0);
    },
  };
}

export function sentStatements(sample: ServerSample | undefined): number {
  return sample ? Object.values(sample.statements).reduce((sum, n) => sum + n, 0) : -1;
}

/** Samples the server until it has sent no statement for half a second (its settles after the last completion). */
export async function drainedSample(child: ChildProcess): Promise<ServerSample> {
  let drained = await ask(child);
  for (let previous: ServerSample | undefined; sentStatements(drained) !== sentStatements(previous); ) {
    previous = drained;
    await new Promise((resolve) => setTimeout(resolve, 500));
    drained = await ask(child);
  }
  return drained;
}

/** The statements of one task cycle: those sent between two samples, per completion, most frequent first. */
export function statementsPer(before: ServerSample, after: ServerSample, completions: number): [string, number][] {
  return Object.entries(after.statements)
    .map(([sql, n]): [string, number] => [sql, Math.round(((n - (before.statements[sql] ?? 0)) / completions) * 100) / 100])
    .filter(([, n]) => n >= 0.01)
    .sort((a, b) => b[1] - a[1]);
}

export interface Fleet {
  /** The bench's own connection to the server's database (scope `bench` exists). */
  db: Database;
  /** The `serve` process (see serve.ts). */
  server: ChildProcess;
  apiUrl: string;
  workers: number;
  /** The server before any worker registered. */
  idle: ServerSample;
  /** The server with every worker connected, its metadata reported, and idle. */
  connected: ServerSample;
  connectedS: number;
  metadataS: number;
}

/**
 * The old-space ceiling the bench's `serve` runs with, in MiB: the one the deployment guide's
 * unit sets (`docs/deploy.md`), 0 for V8's own, sized from the machine's memory.
 */
export const SERVE_MAX_OLD_SPACE_MIB = Number(process.env.BENCH_SERVE_MAX_OLD_SPACE_MIB ?? 1024);

/**
 * Starts a `serve` on a fresh database, registers `workers` static workers and starts them
 * (START_BATCH at a time, as a fleet boots over a few seconds), waits until every one is
 * connected and has reported its metadata, runs `body`, then stops it all.
 */
export async function withFleet<T>(workers: number, body: (fleet: Fleet) => Promise<T>): Promise<T> {
  const database = await createTestDatabase();
  const db = connectDatabase(database.url, 4);
  const server = fork(join(__dirname, 'serve.js'), {
    env: { ...process.env, BENCH_DATABASE_URL: database.url, BENCH_COUNT_STATEMENTS: '1' },
    execArgv: [...process.execArgv, '--expose-gc', ...(SERVE_MAX_OLD_SPACE_MIB > 0 ? [`--max-old-space-size=${SERVE_MAX_OLD_SPACE_MIB}`] : [])],
  });
  const simulated: SimulatedWorker[] = [];
  try {
    const { apiUrl } = await new Promise<{ apiUrl: string }>((resolve, reject) => {
      server.once('message', resolve);
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    await upsertScope(db, { name: 'bench' });
    const idle = await ask(server);

    const keys: string[] = [];
    for (let i = 0; i < workers; i++) keys.push((await createStaticWorker(db, `sim-${i}`)).activationKey);
    const started = Date.now();
    for (let i = 0; i < workers; i++) {
      simulated.push(new SimulatedWorker({ apiUrl, activationToken: keys[i]!, name: `sim-${i}`, duration: () => 0 }));
    }
    for (let i = 0; i < simulated.length; i += START_BATCH) await Promise.all(simulated.slice(i, i + START_BATCH).map((w) => w.start()));
    await until('every worker connected', async () =>
      (await count(db, `select count(*)::int as n from workers w where ${connectedSinceSql('w.id')} is not null`)) === workers,
    );
    const connectedS = (Date.now() - started) / 1000;
    await until('every worker reported its metadata', async () =>
      (await count(db, 'select count(*)::int as n from workers where dynamic_metadata_updated_at is not null')) === workers,
    );
    const metadataS = (Date.now() - started) / 1000;
    const connected = await ask(server);
    return await body({ db, server, apiUrl, workers, idle, connected, connectedS, metadataS });
  } finally {
    for (const worker of simulated) worker.stop();
    server.send({ type: 'stop' });
    await new Promise((resolve) => server.once('exit', resolve));
    await db.close();
    await database.drop();
  }
}
