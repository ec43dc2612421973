import { connectDatabase } from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { createWorkRequest, requirementSetIdFor, validateWorkRequest } from '../src';
import { addScope, resetDatabase } from './fixtures';

const ctx = useConnectedDatabase((url) => connectDatabase(url, 4));

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

const requirementsOf = (workerRequirements: string[]) =>
  validateWorkRequest({ scope: 'debian', taskName: 'noop', workerRequirements }).requirements;

/** Resolves when a backend of this database waits on a lock held by another. */
async function lockWaited(): Promise<void> {
  for (;;) {
    const [rows] = await ctx.db.sequelize.query(
      `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows.length) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('creates a request without waiting for another open transaction that used the same requirement set', async () => {
  const first = await createWorkRequest(ctx.db, { scope: 'debian', taskName: 'noop', workerRequirements: ['memory_gib>=4'] });
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  let used!: () => void;
  const usedSet = new Promise<void>((resolve) => (used = resolve));
  const other = ctx.db.sequelize.transaction(async (transaction) => {
    await requirementSetIdFor(ctx.db, requirementsOf(['memory_gib>=4']), transaction);
    used();
    await open;
  });
  await usedSet;
  try {
    const created = await Promise.race([
      createWorkRequest(ctx.db, { scope: 'debian', taskName: 'noop', workerRequirements: ['memory_gib>=4'] }),
      lockWaited().then(() => Promise.reject(new Error('the creation waited on the other transaction'))),
    ]);
    const [rows] = await ctx.db.sequelize.query('select requirement_set_id from work_requests where id in ($1, $2)', { bind: [first.id, created.id] });
    expect(new Set(rows.map((r) => (r as { requirement_set_id: string }).requirement_set_id)).size).toBe(1);
  } finally {
    release();
    await other;
  }
});

it('gives two transactions creating the same new requirement set at once the one set', async () => {
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  let inserted!: (id: string) => void;
  const firstId = new Promise<string>((resolve) => (inserted = resolve));
  const first = ctx.db.sequelize.transaction(async (transaction) => {
    inserted(await requirementSetIdFor(ctx.db, requirementsOf(['memory_gib>=32']), transaction));
    await open;
  });
  const id = await firstId;
  const second = requirementSetIdFor(ctx.db, requirementsOf(['memory_gib>=32']));
  await lockWaited();
  release();
  await first;
  expect(await second).toBe(id);
  const [rows] = await ctx.db.sequelize.query('select count(*)::int as n from requirement_sets');
  expect(rows).toEqual([{ n: 1 }]);
});
