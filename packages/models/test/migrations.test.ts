import { createEmptyDatabase, createTestDatabase, withPgClient } from '@buildfleet/testdb';
import { migrateDown, migrateUp, migrations, migrationStatus, pendingMigrations } from '../src';
import { describeSchema } from './catalog';

let database: { url: string; drop(): Promise<void> };

beforeEach(async () => {
  database = await createEmptyDatabase();
});
afterEach(async () => {
  await database.drop();
});

it('applies every migration to an empty database, and a second run applies nothing', async () => {
  expect(await migrateUp(database.url)).toEqual(migrations.map((m) => m.name));
  expect(await migrateUp(database.url)).toEqual([]);
  expect(await pendingMigrations(database.url)).toEqual([]);
  const status = await migrationStatus(database.url);
  expect(status.every((m) => m.appliedAt instanceof Date)).toBe(true);
});

it('lets 20 concurrent runners all succeed, applying each migration exactly once', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, () => migrateUp(database.url)));
  expect(results.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
  const rows = await withPgClient(database.url, (c) => c.query('select name from buildfleet_migrations'));
  expect(rows.rowCount).toBe(migrations.length);
});

it.each(migrations.map((m, index) => [m.name, index] as const))(
  'reverts and reapplies %s, leaving the same columns, indexes and constraints',
  async (name, index) => {
    await migrateUp(database.url, { to: name });
    const before = await describeSchema(database.url);
    const previous = index === 0 ? [] : await describeSchemaAt(migrations[index - 1]!.name);
    expect(await migrateDown(database.url)).toEqual([name]);
    expect(await describeSchema(database.url)).toEqual(previous);
    expect(await migrateUp(database.url, { to: name })).toEqual([name]);
    expect(await describeSchema(database.url)).toEqual(before);
  },
);

it('reverts everything down to an empty schema', async () => {
  await migrateUp(database.url);
  await migrateDown(database.url, { to: 0 });
  expect(await describeSchema(database.url)).toEqual([]);
});

it('keeps the migrated schema as reviewed in the committed snapshot', async () => {
  const template = await createTestDatabase();
  try {
    expect((await describeSchema(template.url)).join('\n')).toMatchSnapshot();
  } finally {
    await template.drop();
  }
});

async function describeSchemaAt(name: string): Promise<string[]> {
  const other = await createEmptyDatabase();
  try {
    await migrateUp(other.url, { to: name });
    return await describeSchema(other.url);
  } finally {
    await other.drop();
  }
}
