import { useTestDatabase } from '@buildfleet/testdb';
import pg from 'pg';
import pino from 'pino';
import { type RunningServer, startServer } from '../src';

const testDb = useTestDatabase();
let running: RunningServer;

beforeAll(async () => {
  running = await startServer({ databaseUrl: testDb.url, port: 0, provision: false, logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await running.close();
});

async function probe(path: string): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const response = await fetch(`${running.url}${path}`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

async function until(path: string, status: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await probe(path);
    if (answer.status === status) return answer.body;
    if (Date.now() > deadline) throw new Error(`${path} still answers ${answer.status}: ${answer.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs SQL on the maintenance database, outside the server's connections. */
async function admin(sql: string): Promise<void> {
  const url = new URL(testDb.url);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const database = () => new URL(testDb.url).pathname.slice(1);

it('answers /healthz without credentials while the process runs', async () => {
  expect(await probe('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
});

it('is ready once the database answers, the schema is current and the listener is connected', async () => {
  expect(await until('/readyz', 200)).toEqual({ status: 'ready' });
});

it('is not ready while the notification listener is down, and ready again once it is back', async () => {
  await until('/readyz', 200);
  await admin(
    `select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'buildfleet-worker-api' and datname = '${database()}'`,
  );
  expect(await until('/readyz', 503)).toEqual({ status: 'not ready', failing: ['listener'] });
  await until('/readyz', 200);
});

it('is not ready while a migration this code knows is missing from the database', async () => {
  const client = new pg.Client({ connectionString: testDb.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; applied_at: Date }>(
      'delete from buildfleet_migrations where name = (select max(name) from buildfleet_migrations) returning name, applied_at',
    );
    expect(await probe('/readyz')).toMatchObject({ status: 503, body: { status: 'not ready', failing: ['migrations'] } });
    await client.query('insert into buildfleet_migrations (name, applied_at) values ($1, $2)', [rows[0]!.name, rows[0]!.applied_at]);
  } finally {
    await client.end();
  }
  expect((await probe('/readyz')).status).toBe(200);
});

it('is not ready while the database refuses connections, and says nothing more than which check failed', async () => {
  await until('/readyz', 200);
  await admin(`alter database "${database()}" allow_connections false`);
  try {
    await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database()}'`);
    const body = await until('/readyz', 503);
    expect((body.failing as string[]).includes('database')).toBe(true);
    expect(Object.keys(body).sort()).toEqual(['failing', 'status']);
    expect(JSON.stringify(body)).not.toMatch(/postgres|127\.0\.0\.1|5432|error|ECONN/i);
    expect((await probe('/healthz')).status).toBe(200);
  } finally {
    await admin(`alter database "${database()}" allow_connections true`);
  }
  await until('/readyz', 200);
});
