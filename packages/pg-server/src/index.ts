import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbedded } from './embedded';

export { EmbeddedPostgresUnreachableError } from './embedded';

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

/** Connects to `DATABASE_URL` when given, else starts (or joins) the embedded server. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (databaseUrl) {
    await assertReachable(databaseUrl);
    return { url: databaseUrl, embedded: false, stop: async () => {} };
  }
  const dataDir = options.dataDir ?? defaultDataDir();
  const { url, started, stop } = await startEmbedded(dataDir, options.onLog ?? (() => {}));
  return { url, embedded: started, dataDir, stop };
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

/** The error's code (ECONNREFUSED, 28P01, ...) or message; duck-typed, as errors may come from another realm. */
function describe(error: unknown): string {
  const { code, message, errors } = (error ?? {}) as { code?: string; message?: string; errors?: unknown[] };
  if (!code && errors?.length) return describe(errors[0]);
  return code ?? message ?? String(error);
}
