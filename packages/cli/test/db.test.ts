import { migrations } from '@buildfleet/models';
import { createEmptyDatabase } from '@buildfleet/testdb';
import { type DbMigrateResult } from '../src/commands/db/migrate';
import { type DbStatusResult } from '../src/commands/db/status';
import { type ErrorResult } from '../src/shared/base-command';
import { cli, cliJson } from './helpers';

let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
beforeAll(async () => {
  database = await createEmptyDatabase();
  process.env.DATABASE_URL = database.url;
});
afterAll(() => database.drop());

const allMigrations = migrations.map((m) => m.name);

describe('on an empty database', () => {
  it('db status reports every migration as pending', async () => {
    const { json, exitCode } = await cliJson<DbStatusResult>('db status');
    expect(exitCode).toBe(0);
    expect(json.pending).toEqual(allMigrations);
    expect(json.migrations.every((m) => m.appliedAt === null)).toBe(true);
  });

  it('other commands refuse to run and point at db migrate, without creating the schema', async () => {
    const { error, exitCode } = await cli('pool list');
    expect(exitCode).toBe(1);
    expect(error?.message).toContain('Run `buildfleet db migrate` first');
    const { json } = await cliJson<ErrorResult>('account list');
    expect(json.error).toMatchObject({ name: 'SchemaNotMigratedError', exitCode: 1 });
    expect((await cliJson<DbStatusResult>('db status')).json.pending).toEqual(allMigrations);
  });
});

describe('db migrate', () => {
  it('applies the pending migrations and prints each one', async () => {
    const { stdout, exitCode } = await cli('db migrate');
    expect(exitCode).toBe(0);
    for (const name of allMigrations) expect(stdout).toContain(name);
  });

  it('applies nothing when run again', async () => {
    const { json, stdout } = await cliJson<DbMigrateResult>('db migrate');
    expect(json).toEqual({ applied: [] });
    expect((await cli('db migrate')).stdout).toContain('up to date');
    expect(stdout).not.toContain('Applied');
  });

  it('leaves db status with nothing pending and the other commands working', async () => {
    const { json } = await cliJson<DbStatusResult>('db status');
    expect(json.pending).toEqual([]);
    expect(json.migrations.map((m) => m.name)).toEqual(allMigrations);
    expect(json.migrations.every((m) => m.appliedAt !== null)).toBe(true);
    expect((await cliJson('pool list')).json).toEqual([]);
  });
});
