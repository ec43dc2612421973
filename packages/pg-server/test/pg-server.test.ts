import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DatabaseUnreachableError, EmbeddedPostgresUnreachableError, redactUrl, startPostgresServer } from '../src';
import { installedBinaries, startEmbedded } from '../src/embedded';

/** As root the server runs as `postgres`; these tests put what it needs where that account cannot go. */
const itAsRoot = userInfo().uid === 0 ? it : it.skip;

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

describe('as root, from a clone inside a root-only directory (mktemp -d makes one, mode 0700)', () => {
  let rootOnly: string;
  beforeEach(async () => {
    rootOnly = await mkdtemp(join(tmpdir(), 'bf-pg-root-only-'));
  });
  afterEach(async () => {
    await rm(rootOnly, { recursive: true, force: true });
  });

  itAsRoot('runs PostgreSQL from a copy in its data directory that the postgres account can reach', async () => {
    const installed = await installedBinaries();
    // The binaries as npm installs them in such a clone's node_modules.
    const unreachable = { dir: join(rootOnly, 'native'), version: installed.version };
    await cp(installed.dir, unreachable.dir, { recursive: true, verbatimSymlinks: true });
    const postgres = { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) };
    expect(() => execFileSync(join(unreachable.dir, 'bin', 'postgres'), ['--version'], { ...postgres, stdio: 'pipe' })).toThrow(
      expect.objectContaining({ code: 'EACCES' }),
    );
    const dataDir = await mkdtemp(join(tmpdir(), 'bf-pg-copy-'));
    try {
      const server = await startEmbedded(dataDir, () => {}, unreachable);
      try {
        expect(await query(server.url, 'select current_database() as db')).toEqual([{ db: 'buildfleet' }]);
        expect(existsSync(join(dataDir, `postgresql-${installed.version}`, 'bin', 'postgres'))).toBe(true);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  itAsRoot('fails at once, naming the directory in the way and DATABASE_URL, when its data directory is under it', async () => {
    const error = await startPostgresServer({ databaseUrl: '', dataDir: join(rootOnly, 'postgres') }).catch((e) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresUnreachableError);
    expect(error.message).toContain(`cannot enter ${rootOnly} (mode 0700, owner uid 0)`);
    expect(error.message).toContain('set DATABASE_URL');
  }, 10_000);
});
