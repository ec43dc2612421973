import { type PostgresServer, redactUrl, startPostgresServer } from '@buildfleet/pg-server';
import pg from 'pg';
import { Sequelize } from 'sequelize';
import { migrateUp, pendingMigrations } from './migrator';
import { initModels, type Models } from './models';
import { resolveSecretKeys, type SecretKeys } from './secretKeys';

// bigint ids and counts arrive as strings by default; numeric aggregates we want as numbers.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

/** An open connection to buildfleet's database, with the models bound to it. */
export interface Database {
  sequelize: Sequelize;
  models: Models;
  /** The connection URL (contains the password of the embedded server: never print it). */
  url: string;
  /** The keys that seal provider credentials (see secretKeys.ts). */
  secrets: SecretKeys;
  /** Closes the connections, and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** (Default: `process.env.DATABASE_URL`; without one, an embedded PostgreSQL is started) */
  databaseUrl?: string;
  /** Data directory of the embedded server. (Default: see `@buildfleet/pg-server`) */
  dataDir?: string;
  /** Apply pending migrations first, instead of refusing to run on an old schema. (Default: false) */
  migrate?: boolean;
  /** Connection pool size. (Default: 10) */
  poolSize?: number;
  onLog?: (line: string) => void;
  /** (Default: `BUILDFLEET_SECRET_KEY_FILE`, else for the embedded server a key beside its data directory) */
  secretKeyFile?: string;
}

export class SchemaNotMigratedError extends Error {
  constructor(readonly pending: string[]) {
    super(
      `The database schema is not up to date (${pending.length} pending migration${pending.length === 1 ? '' : 's'}: ` +
        `${pending.join(', ')}). Run \`buildfleet db migrate\` first.`,
    );
    this.name = 'SchemaNotMigratedError';
  }
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const server = await startPostgresServer(options);
  try {
    const secrets = resolveSecretKeys({
      ...(options.secretKeyFile ? { keyFile: options.secretKeyFile } : {}),
      ...(server.dataDir ? { embeddedDataDir: server.dataDir } : {}),
    });
    if (options.migrate) await migrateUp(server.url, { secrets });
    else {
      const pending = await pendingMigrations(server.url);
      if (pending.length) throw new SchemaNotMigratedError(pending);
    }
    return connect(server, options.poolSize ?? 10, secrets);
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Binds models to an existing URL without checks or server management (tests, libraries).
 * Credentials are sealed with `secrets`. (Default: `BUILDFLEET_SECRET_KEY_FILE`, else none)
 */
export function connectDatabase(url: string, poolSize = 10, secrets: SecretKeys = resolveSecretKeys()): Database {
  return connect({ url, embedded: false, stop: async () => {} }, poolSize, secrets);
}

function connect(server: PostgresServer, poolSize: number, secrets: SecretKeys): Database {
  const sequelize = new Sequelize(server.url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: poolSize, min: 0, idle: 10_000 },
    dialectOptions: { application_name: 'buildfleet' },
  });
  const models = initModels(sequelize);
  return {
    sequelize,
    models,
    url: server.url,
    secrets,
    close: async () => {
      await sequelize.close();
      await server.stop();
    },
  };
}

export { redactUrl };
