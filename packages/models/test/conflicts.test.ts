import { isTransactionConflict, retryingConflictOnce } from '../src';
import { useDatabase } from './helpers';

const ctx = useDatabase();

beforeAll(async () => {
  await ctx.db.sequelize.query('create table counters (id int primary key, n int not null)');
  await ctx.db.sequelize.query('insert into counters values (1, 0), (2, 0)');
});

/** Updates both rows in the given order, waiting at `halfway` so two of these overlap. */
function bothRows(order: [number, number], halfway: Promise<void>, reached: () => void) {
  return ctx.db.sequelize.transaction(async (transaction) => {
    await ctx.db.sequelize.query('update counters set n = n + 1 where id = $1', { bind: [order[0]], transaction });
    reached();
    await halfway;
    await ctx.db.sequelize.query('update counters set n = n + 1 where id = $1', { bind: [order[1]], transaction });
  });
}

it('runs a transaction PostgreSQL chose as a deadlock victim once more, so neither side is lost', async () => {
  let arrived = 0;
  let release: () => void;
  const halfway = new Promise<void>((resolve) => (release = resolve));
  const reached = () => ++arrived === 2 && release();
  let attempts = 0;
  const outcomes = await Promise.allSettled([
    retryingConflictOnce(() => (attempts++, bothRows([1, 2], halfway, reached))),
    retryingConflictOnce(() => (attempts++, bothRows([2, 1], halfway, reached))),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
  expect(attempts).toBe(3);
  const [rows] = await ctx.db.sequelize.query('select n from counters order by id');
  expect(rows).toEqual([{ n: 2 }, { n: 2 }]);
});

it('does not retry other failures', async () => {
  let attempts = 0;
  await expect(
    retryingConflictOnce(() => (attempts++, ctx.db.sequelize.query('insert into counters values (1, 0)'))),
  ).rejects.toThrow();
  expect(attempts).toBe(1);
  expect(isTransactionConflict(new Error('deadlock detected'))).toBe(false);
});
