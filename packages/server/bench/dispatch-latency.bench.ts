/**
 * `npm run bench`: how long a work request created by another process waits to be assigned
 * while workers are free. The creating process makes the same call as `buildfleet work-request
 * create` (createWorkRequest, which notifies the servers), one request at a time, and times each
 * from just before the call until it sees the request assigned; then completes it, freeing its
 * worker. Baseline in the same run: requests inserted without the notification, which wait for
 * the server's dispatch interval (2 s), as every request did before.
 */
import { fork } from 'node:child_process';
import { connectDatabase, type Database, migrateUp, upsertScope } from '@buildfleet/models';
import { createWorkRequest } from '@buildfleet/scheduler';
import { createTestDatabase, prepareTemplate, stopTemplateServer } from '@buildfleet/testdb';
import pino from 'pino';
import { startServer } from '../src';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const BASELINE_REQUESTS = Number(process.env.BENCH_BASELINE_REQUESTS ?? 10);
const WORKERS = 4;

type Mode = 'notified' | 'baseline';

/** In the creating process: creates `count` requests one by one and returns each one's wait in ms. */
async function create(url: string, mode: Mode, count: number): Promise<number[]> {
  const db = connectDatabase(url, 2);
  const waits: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const id = mode === 'notified' ? (await createWorkRequest(db, { scope: 'bench', taskName: 'noop' })).id : await insertQuietly(db);
      for (;;) {
        const [rows] = await db.sequelize.query('select worker_id from work_requests where id = $1', { bind: [id] });
        if ((rows as { worker_id: string | null }[])[0]?.worker_id) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      waits.push(performance.now() - started);
      await db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where id = $1`, {
        bind: [id],
      });
    }
  } finally {
    await db.close();
  }
  return waits;
}

/** A pending noop copied from the first request, without the notification createWorkRequest sends. */
async function insertQuietly(db: Database): Promise<string> {
  const [rows] = await db.sequelize.query(
    `insert into work_requests (scope_id, task_type, task_name, task_data, requirement_set_id)
     select scope_id, task_type, task_name, task_data, requirement_set_id from work_requests order by id limit 1
     returning id`,
  );
  return (rows as { id: string }[])[0]!.id;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

/** Runs `create` in a child process (another process, as the CLI is) and returns the waits. */
function inAnotherProcess(url: string, mode: Mode, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['creator', url, mode, String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (waits) => resolve(waits as number[]));
    child.once('exit', (code) => (code ? reject(new Error(`the creating process exited ${code}`)) : undefined));
  });
}

async function main(): Promise<void> {
  await prepareTemplate({ name: 'server-bench', migrate: (url) => migrateUp(url).then(() => undefined) });
  const database = await createTestDatabase();
  const server = await startServer({ databaseUrl: database.url, port: 0, provision: false, logger: pino({ level: 'silent' }) });
  try {
    await upsertScope(server.db, { name: 'bench' });
    await server.db.sequelize.query(
      `with token as (
         insert into tokens (hash, enabled) select encode(sha256(('bench-' || n)::bytea), 'hex'), true from generate_series(1, $1::int) n
         returning id
       ), worker as (
         insert into workers (name, token_id, tags) select 'bench-' || id, id, '{worker-type:external,task:noop}' from token returning id
       )
       insert into worker_sessions (worker_id, process_id, expires_at) select id, gen_random_uuid(), now() + interval '1 hour' from worker`,
      { bind: [WORKERS] },
    );
    const notified = await inAnotherProcess(database.url, 'notified', REQUESTS);
    const baseline = await inAnotherProcess(database.url, 'baseline', BASELINE_REQUESTS);
    const baselineP95 = percentile(baseline, 95);
    console.log(JSON.stringify({ bench: 'dispatch-latency', created_by: 'sql-without-notification', requests: baseline.length, p50_ms: percentile(baseline, 50), p95_ms: baselineP95 }));
    const p95 = percentile(notified, 95);
    console.log(
      JSON.stringify({
        bench: 'dispatch-latency',
        created_by: 'cli',
        requests: notified.length,
        workers: WORKERS,
        p50_ms: percentile(notified, 50),
        p95_ms: p95,
        max_ms: percentile(notified, 100),
        baseline_p95_ms: baselineP95,
        speedup_p95: Math.round((baselineP95 / p95) * 10) / 10,
      }),
    );
  } finally {
    await server.close();
    await database.drop();
    await stopTemplateServer();
  }
}

if (process.argv[2] === 'creator') {
  const [, , , url, mode, count] = process.argv;
  void create(url!, mode as Mode, Number(count)).then(
    (waits) => process.send!(waits, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
