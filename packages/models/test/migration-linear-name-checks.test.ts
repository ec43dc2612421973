import { createEmptyDatabase, withPgClient } from '@buildfleet/testdb';
import { migrateUp } from '../src';
import { LINEAR_NAME_CHECKS } from '../src/migrations/0018-linear-name-checks';

let database: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  database = await createEmptyDatabase();
  await migrateUp(database.url, { to: '0018-linear-name-checks' });
});
afterAll(async () => {
  await database.drop();
});

/** Values around every boundary the old checks drew: lengths, first characters, each class of character. */
function samples(): string[] {
  const characters = ['a', 'z', 'A', 'Z', '0', '9', 'f', 'g', '_', '-', '.', ' ', '\n', 'é', '/'];
  const values = new Set<string>(['']);
  for (const length of [1, 2, 3, 59, 60, 61, 62, 63, 64, 65, 99, 100, 101, 199, 200, 201]) {
    for (const first of characters) {
      for (const rest of characters) {
        values.add(first + rest.repeat(length - 1));
        values.add(first + 'a'.repeat(Math.max(0, length - 2)) + rest);
        values.add('0'.repeat(length - 1) + rest);
      }
    }
  }
  for (const tail of ['\n', ' ', '.']) values.add(`abc${tail}`);
  return [...values];
}

it.each(LINEAR_NAME_CHECKS.map((c) => [`${c.table}.${c.column}`, c] as const))(
  '0018: the check on %s accepts exactly what the bounded-repetition check it replaces did',
  async (_name, check) => {
    const values = samples();
    const rows = await withPgClient(database.url, (c) =>
      c.query<{ value: string; before: boolean; after: boolean }>(
        `select ${check.column} as value, (${check.before}) as before, (${check.after}) as after
           from unnest($1::text[]) as v(${check.column})`,
        [values],
      ),
    );
    expect(rows.rows).toHaveLength(values.length);
    expect(rows.rows.filter((r) => r.before !== r.after)).toEqual([]);
    // The samples reach both sides of the check.
    expect(rows.rows.some((r) => r.before)).toBe(true);
    expect(rows.rows.some((r) => !r.before)).toBe(true);
  },
);

it('0018: the migrated tables refuse a name too long or with a character out of place, naming the check', async () => {
  await withPgClient(database.url, async (c) => {
    await expect(c.query(`insert into scopes (name) values ($1)`, ['a'.repeat(101)])).rejects.toThrow('violates check constraint "scopes_name_check"');
    await expect(c.query(`insert into scopes (name) values ('-leading-dash')`)).rejects.toThrow('violates check constraint "scopes_name_check"');
    await c.query(`insert into scopes (name) values ($1)`, ['a'.repeat(100)]);
    await expect(c.query(`insert into tokens (hash, enabled) values ($1, true)`, ['a'.repeat(63)])).rejects.toThrow('violates check constraint "tokens_hash_check"');
    await c.query(`insert into tokens (hash, enabled) values ($1, true)`, ['a'.repeat(64)]);
  });
});
