import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DatabaseUnreachableError, redactUrl, startPostgresServer } from '../src';

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

it('explains an unreachable DATABASE_URL without revealing its password', async () => {
  const error = await startPostgresServer({ databaseUrl: 'postgres://fleet:hunter2@127.0.0.1:1/buildfleet' }).catch((e) => e);
  expect(error).toBeInstanceOf(DatabaseUnreachableError);
  expect(error.message).toMatch(/^DATABASE_URL: cannot connect to postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/buildfleet \(ECONNREFUSED\)/);
  expect(error.message).toContain('unset DATABASE_URL to use the embedded PostgreSQL');
  expect(error.message).not.toContain('hunter2');
});

it('redacts passwords from URLs', () => {
  expect(redactUrl('postgres://a:b@h:5/d')).toBe('postgres://a:***@h:5/d');
  expect(redactUrl('postgres://h/d')).toBe('postgres://h/d');
});

describe('the embedded server', () => {
  let dataDir: string;
  beforeAll(async () => {
    // Under /tmp: as root the server runs as `postgres`, which must be able to reach the data dir.
    dataDir = await mkdtemp(join(tmpdir(), 'bf-pg-server-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts with a buildfleet database, is shared by a second process, and stops', async () => {
    const owner = await startPostgresServer({ databaseUrl: '', dataDir });
    try {
      expect(owner.embedded).toBe(true);
      expect(await query(owner.url, 'select current_database() as db')).toEqual([{ db: 'buildfleet' }]);
      const joiner = await startPostgresServer({ databaseUrl: '', dataDir });
      expect(joiner.embedded).toBe(false);
      expect(joiner.url).toBe(owner.url);
      await joiner.stop();
      expect(await query(owner.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await owner.stop();
    }
    await expect(query(owner.url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);

  it('keeps its data across restarts', async () => {
    const first = await startPostgresServer({ databaseUrl: '', dataDir });
    await query(first.url, 'create table kept (n int); insert into kept values (42)');
    await first.stop();
    const second = await startPostgresServer({ databaseUrl: '', dataDir });
    try {
      expect(await query(second.url, 'select n from kept')).toEqual([{ n: 42 }]);
    } finally {
      await second.stop();
    }
  }, 120_000);
});

it('leaves SIGINT and SIGTERM to the application: starting an embedded server adds no handler', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bf-pg-signals-'));
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const server = await startPostgresServer({ databaseUrl: '', dataDir });
  try {
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);
