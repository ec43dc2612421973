import { DispatchPasses, settleNextForWorker } from '../src';
import { addRequest, addScope, addWorker, resetDatabase, useDatabase } from './fixtures';

const ctx = useDatabase();

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

describe('full passes of one process', () => {
  it('runs one at a time: ten asked for while one runs become a single pass after it', async () => {
    for (let i = 0; i < 3; i++) await addWorker(ctx.db, { name: `w${i}` });
    for (let i = 0; i < 5; i++) await addRequest(ctx.db);
    const passes = new DispatchPasses(ctx.db);

    const first = passes.request();
    const later = Array.from({ length: 10 }, () => passes.request());

    expect(new Set(later).size).toBe(1);
    expect(later[0]).not.toBe(first);
    const [firstResult, laterResult] = await Promise.all([first, later[0]!]);
    expect(firstResult.assignments).toHaveLength(3);
    expect(laterResult.assignments).toEqual([]);
  });

  it('starts a fresh pass once the last one is over', async () => {
    await addWorker(ctx.db, { name: 'w' });
    const passes = new DispatchPasses(ctx.db);
    await passes.request();
    await addRequest(ctx.db);
    expect((await passes.request()).assignments).toHaveLength(1);
  });
});

describe('per-event dispatch for one worker', () => {
  it('claims the best request that worker can run, and only for it', async () => {
    const worker = await addWorker(ctx.db, { name: 'done-just-now', concurrency: 2 });
    await addWorker(ctx.db, { name: 'idle-other' });
    const low = await addRequest(ctx.db);
    const high = await addRequest(ctx.db, { priorityBase: 5 });

    expect(await settleNextForWorker(ctx.db, worker)).toBe(high);
    const [rows] = await ctx.db.sequelize.query('select id, worker_id from work_requests order by id');
    expect(rows).toEqual([
      { id: low, worker_id: null },
      { id: high, worker_id: worker },
    ]);
  });

  it('returns the request already waiting for the worker instead of claiming another', async () => {
    const worker = await addWorker(ctx.db, { name: 'w', concurrency: 2 });
    const first = await settleNextForWorker(ctx.db, worker);
    expect(first).toBeNull();
    const id = await addRequest(ctx.db);
    expect(await settleNextForWorker(ctx.db, worker)).toBe(id);
    await addRequest(ctx.db);
    expect(await settleNextForWorker(ctx.db, worker)).toBe(id);
  });
});
