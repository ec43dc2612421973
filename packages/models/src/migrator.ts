import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { Umzug } from 'umzug';
import { type Database } from './database';
import { type Migration, migrations as allMigrations } from './migrations';
import { type MigrationContext } from './migrations/types';
import { resolveSecretKeys, type SecretKeys } from './secretKeys';

/**
 * Applies and reverts migrations with umzug. Each migration and its bookkeeping row run in
 * one transaction, and a session advisory lock serialises concurrent runners, so racing
 * processes apply each migration once and the losers see it done.
 */

const LOCK_KEY = 'buildfleet.migrations';

export interface MigrationStatus {
  name: string;
  appliedAt: Date | null;
}

/**
 * Applies pending migrations (up to and including `to`); returns the names applied. `secrets`
 * seal the credentials of existing accounts. (Default: `BUILDFLEET_SECRET_KEY_FILE`, else none)
 */
export async function migrateUp(url: string, options: { to?: string; secrets?: SecretKeys } = {}): Promise<string[]> {
  return withMigrator(url, options.secrets, async (umzug) => {
    const applied = await umzug.up(options.to ? { to: options.to } : {});
    return applied.map((m) => m.name);
  });
}

/** Reverts the last `step` migrations (default 1), or down to and including `to`. */
export async function migrateDown(url: string, options: { step?: number; to?: string | 0; secrets?: SecretKeys } = {}): Promise<string[]> {
  return withMigrator(url, options.secrets, async (umzug) => {
    const reverted =
      options.to !== undefined ? await umzug.down({ to: options.to }) : await umzug.down({ step: options.step ?? 1 });
    return reverted.map((m) => m.name);
  });
}

/** Every known migration with when it was applied (null when pending). */
export async function migrationStatus(url: string): Promise<MigrationStatus[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const applied = await appliedMigrations(client);
    return allMigrations.map((m) => ({ name: m.name, appliedAt: applied.get(m.name) ?? null }));
  } finally {
    await client.end();
  }
}

/** Names of migrations this code knows that the database has not applied. */
export async function pendingMigrations(url: string): Promise<string[]> {
  return (await migrationStatus(url)).filter((m) => !m.appliedAt).map((m) => m.name);
}

/**
 * Names of migrations this code knows that the database has not applied, read over an open
 * connection without the migration lock: cheap enough for a readiness probe.
 */
export async function unappliedMigrations(db: Database): Promise<string[]> {
  const rows = await db.sequelize.query<{ name: string }>('select name from buildfleet_migrations', { type: QueryTypes.SELECT });
  const applied = new Set(rows.map((r) => r.name));
  return allMigrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}

async function withMigrator<T>(url: string, secrets: SecretKeys | undefined, fn: (umzug: Umzug<pg.Client>) => Promise<T>): Promise<T> {
  const context: MigrationContext = { secrets: secrets ?? resolveSecretKeys() };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    await ensureTable(client);
    const umzug = new Umzug<pg.Client>({
      context: client,
      logger: undefined,
      migrations: allMigrations.map((migration) => ({
        name: migration.name,
        up: ({ context: pgClient }) => runInTransaction(pgClient, migration, 'up', context),
        down: ({ context: pgClient }) => runInTransaction(pgClient, migration, 'down', context),
      })),
      storage: {
        // Bookkeeping happens inside runInTransaction, atomically with the migration.
        logMigration: async () => {},
        unlogMigration: async () => {},
        executed: async ({ context }) => [...(await appliedMigrations(context)).keys()],
      },
    });
    return await fn(umzug);
  } finally {
    await client.query('select pg_advisory_unlock_all()').catch(() => {});
    await client.end();
  }
}

async function runInTransaction(client: pg.Client, migration: Migration, direction: 'up' | 'down', context: MigrationContext): Promise<void> {
  await client.query('begin');
  try {
    if (direction === 'down') await migration.data?.down(client, context);
    await client.query(migration[direction]);
    if (direction === 'up') await migration.data?.up(client, context);
    if (direction === 'up') {
      await client.query('insert into buildfleet_migrations (name) values ($1)', [migration.name]);
    } else {
      await client.query('delete from buildfleet_migrations where name = $1', [migration.name]);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

async function ensureTable(client: pg.Client): Promise<void> {
  await client.query(
    'create table if not exists buildfleet_migrations (name text primary key, applied_at timestamptz not null default now())',
  );
}

async function appliedMigrations(client: pg.Client): Promise<Map<string, Date>> {
  const { rows } = await client.query<{ name: string; applied_at: Date }>(
    `select name, applied_at from buildfleet_migrations order by name`,
  ).catch((error: { code?: string }) => {
    if (error.code === '42P01') return { rows: [] }; // no table yet: nothing applied
    throw error;
  });
  return new Map(rows.map((r) => [r.name, r.applied_at]));
}
