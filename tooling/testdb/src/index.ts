import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgresServer } from '@buildfleet/pg-server';
import pg from 'pg';

/**
 * Test databases on a real PostgreSQL: `DATABASE_URL` when set, else an embedded server kept
 * under the temp directory. Jest's globalSetup migrates one template database per package
 * (`prepareTemplate`); each test file clones it (`useTestDatabase`) and drops its clone after.
 * It also points `BUILDFLEET_SECRET_KEY_FILE` at a test key, unless set, so accounts can be stored.
 */

const ENV_ADMIN_URL = 'BUILDFLEET_TEST_ADMIN_URL';
const ENV_TEMPLATE = 'BUILDFLEET_TEST_TEMPLATE';
/** Read by @buildfleet/models: the key that seals provider credentials. */
const ENV_SECRET_KEY_FILE = 'BUILDFLEET_SECRET_KEY_FILE';
const SERVER_KEY = Symbol.for('buildfleet.testdb.server');

export interface TemplateOptions {
  /** Distinguishes the template of one package from another's when suites run side by side. */
  name: string;
  /** Brings an empty database at this URL to the current schema. */
  migrate(url: string): Promise<void>;
}

/** For Jest's globalSetup: starts or joins the server and builds the migrated template. */
export async function prepareTemplate(options: TemplateOptions): Promise<void> {
  const server = await startPostgresServer({ dataDir: join(tmpdir(), `buildfleet-test-pg-${userInfo().uid}`) });
  (globalThis as Record<symbol, unknown>)[SERVER_KEY] = server;
  // One template per package and checkout, so suites of two checkouts never drop each other's.
  const checkout = createHash('sha1').update(process.cwd()).digest('hex').slice(0, 8);
  const template = `bf_tpl_${options.name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${checkout}`;
  await withPgClient(server.url, async (admin) => {
    // Serialises template builds of concurrent test runs sharing a server.
    await admin.query('select pg_advisory_lock(hashtext($1))', [template]);
    try {
      const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [template]);
      if (rowCount) {
        await admin.query(`alter database ${template} with is_template false`);
        await admin.query(`drop database ${template} with (force)`);
      }
      await admin.query(`create database ${template}`);
      await options.migrate(databaseUrl(server.url, template));
      await admin.query(`alter database ${template} with is_template true`);
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', [template]);
    }
  });
  process.env[ENV_ADMIN_URL] = server.url;
  process.env[ENV_TEMPLATE] = template;
  process.env[ENV_SECRET_KEY_FILE] ??= testSecretKeyFile();
}

/** A key file for sealing provider credentials in tests (one per user, kept under the temp directory). */
function testSecretKeyFile(): string {
  const file = join(tmpdir(), `buildfleet-test-secret-${userInfo().uid}.key`);
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return file;
}

/** For Jest's globalTeardown: stops the embedded server if globalSetup started it. */
export async function stopTemplateServer(): Promise<void> {
  const server = (globalThis as Record<symbol, unknown>)[SERVER_KEY] as PostgresServer | undefined;
  await server?.stop();
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = requiredEnv(ENV_ADMIN_URL);
  const template = requiredEnv(ENV_TEMPLATE);
  const name = `bf_test_${createHash('sha1').update(randomBytes(16)).digest('hex').slice(0, 16)}`;
  await withPgClient(adminUrl, (admin) => admin.query(`create database ${name} template ${template}`));
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => dropDatabase(adminUrl, name),
  };
}

/** An empty database (no migrations), for tests of migrations themselves. */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = requiredEnv(ENV_ADMIN_URL);
  const name = `bf_empty_${randomBytes(8).toString('hex')}`;
  await withPgClient(adminUrl, (admin) => admin.query(`create database ${name}`));
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => dropDatabase(adminUrl, name),
  };
}

/**
 * Registers beforeAll/afterAll hooks giving the test file its own database.
 * Read `.url` inside tests or hooks, not at module load.
 */
export function useTestDatabase(): { readonly url: string } {
  let database: { url: string; drop(): Promise<void> } | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  return {
    get url() {
      if (!database) throw new Error('useTestDatabase: the database exists only inside tests and hooks');
      return database.url;
    },
  };
}

/**
 * Registers hooks giving the test file its own database and a connection `connect` opens on
 * it for the whole file (e.g. `useConnectedDatabase((url) => connectDatabase(url, 4))`).
 * Read `.db` inside tests or hooks, not at module load.
 */
export function useConnectedDatabase<T extends { close(): Promise<void> }>(
  connect: (url: string) => T,
): { readonly db: T; readonly url: string } {
  const database = useTestDatabase();
  let connection: T | undefined;
  beforeAll(() => {
    connection = connect(database.url);
  });
  afterAll(async () => {
    await connection?.close();
  });
  return {
    get db() {
      if (!connection) throw new Error('useConnectedDatabase: the connection exists only inside tests and hooks');
      return connection;
    },
    get url() {
      return database.url;
    },
  };
}

/** Runs `fn` with a connected client, and always disconnects it. */
export async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: add @buildfleet/testdb's prepareTemplate to Jest's globalSetup`);
  return value;
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withPgClient(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`));
}
