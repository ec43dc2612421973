import { queryPrepared } from '../src';
import { useDatabase } from './helpers';

const ctx = useDatabase();

beforeAll(async () => {
  await ctx.db.sequelize.query('create table prepared_rows (id bigint primary key, label text not null)');
  await ctx.db.sequelize.query(`insert into prepared_rows values (1, 'one'), (2, 'two')`);
});

const byId = 'select id, label from prepared_rows where id = $1::bigint';

it('answers a statement with its rows as Sequelize does (bigint as a string), prepared once on its connection', async () => {
  await ctx.db.sequelize.transaction(async (transaction) => {
    expect(await queryPrepared(ctx.db, byId, ['1'], transaction)).toEqual([{ id: '1', label: 'one' }]);
    expect(await queryPrepared(ctx.db, byId, ['2'], transaction)).toEqual([{ id: '2', label: 'two' }]);
    const prepared = await queryPrepared<{ statement: string }>(
      ctx.db,
      'select statement from pg_prepared_statements where statement = $1::text',
      [byId],
      transaction,
    );
    expect(prepared).toEqual([{ statement: byId }]);
  });
});

it('runs in the given transaction: what it writes is rolled back with it', async () => {
  await expect(
    ctx.db.sequelize.transaction(async (transaction) => {
      await queryPrepared(ctx.db, `update prepared_rows set label = $2::text where id = $1::bigint`, ['1', 'changed'], transaction);
      expect(await queryPrepared(ctx.db, byId, ['1'], transaction)).toEqual([{ id: '1', label: 'changed' }]);
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  expect(await queryPrepared(ctx.db, byId, ['1'])).toEqual([{ id: '1', label: 'one' }]);
});

it('computes bind values given as a function once it holds a connection, so they are current when the statement is sent', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const holders = Array.from({ length: 4 }, () => ctx.db.sequelize.transaction(() => held));
  const pool = ctx.db.sequelize.connectionManager as unknown as { pool: { using: number } };
  while (pool.pool.using < 4) await new Promise((resolve) => setTimeout(resolve, 10));
  let wanted = '1';
  const answer = queryPrepared(ctx.db, byId, () => [wanted]);
  wanted = '2';
  release();
  await Promise.all(holders);
  expect(await answer).toEqual([{ id: '2', label: 'two' }]);
});

it("returns a pool connection after a failing statement, with PostgreSQL's error", async () => {
  const pool = ctx.db.sequelize.connectionManager as unknown as { pool: { size: number; available: number } };
  for (let i = 0; i < 20; i++) {
    await expect(queryPrepared(ctx.db, 'select 1 / $1::int as quotient', [0])).rejects.toMatchObject({ code: '22012' });
  }
  expect(await queryPrepared(ctx.db, 'select 1 / $1::int as quotient', [1])).toEqual([{ quotient: 1 }]);
  expect(pool.pool.size).toBeGreaterThan(0);
  expect(pool.pool.available).toBe(pool.pool.size);
});

it('runs a setup statement once on each connection, before the statement that needs what it creates', async () => {
  const setup = `create or replace function pg_temp.prepared_label(wanted bigint) returns text language sql as $$ select label from prepared_rows where id = wanted $$`;
  const statements: string[] = [];
  const logging = (ctx.db.sequelize as unknown as { options: { logging: unknown } }).options;
  const before = logging.logging;
  logging.logging = (sql: string) => statements.push(sql);
  try {
    for (let i = 0; i < 5; i++) {
      expect(await queryPrepared(ctx.db, 'select pg_temp.prepared_label($1::bigint) as label', ['2'], undefined, { setup })).toEqual([{ label: 'two' }]);
    }
  } finally {
    logging.logging = before;
  }
  const pool = ctx.db.sequelize.connectionManager as unknown as { pool: { size: number } };
  const setups = statements.filter((sql) => sql.startsWith('Executing (setup)')).length;
  expect(setups).toBeGreaterThanOrEqual(1);
  expect(setups).toBeLessThanOrEqual(pool.pool.size);
  expect(statements.filter((sql) => sql.startsWith('Executing (prepared)'))).toHaveLength(5);
});
