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

describe('placements of one process', () => {
  it('places the requests queued while one placement runs together right after it', async () => {
    for (let i = 0; i < 3; i++) await addWorker(ctx.db, { name: `w${i}` });
    const ids = [await addRequest(ctx.db), await addRequest(ctx.db), await addRequest(ctx.db)];
    const passes = new DispatchPasses(ctx.db);

    const first = passes.place([ids[0]!]);
    const later = [passes.place([ids[1]!]), passes.place([ids[2]!])];

    expect(later[0]).toBe(first);
    await Promise.all([first, ...later]);
    const [rows] = await ctx.db.sequelize.query('select name from workers w join work_requests r on r.worker_id = w.id order by r.id');
    expect(rows).toEqual([{ name: 'w0' }, { name: 'w1' }, { name: 'w2' }]);
  });

  it('runs a full pass for more requests queued at once than claims place', async () => {
    for (let i = 0; i < 6; i++) await addWorker(ctx.db, { name: `w${i}` });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await addRequest(ctx.db));

    await new DispatchPasses(ctx.db).place(ids);
    const [[{ assigned }]] = (await ctx.db.sequelize.query('select count(*)::int as assigned from work_requests where worker_id is not null')) as [
      [{ assigned: number }],
      unknown,
    ];
    expect(assigned).toBe(6);
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

describe('per-event dispatch in one round trip', () => {
  async function settleCounting(worker: string): Promise<{ settled: string | null; statements: string[] }> {
    const statements: string[] = [];
    const options = (ctx.db.sequelize as unknown as { options: { logging: unknown } }).options;
    const before = options.logging;
    options.logging = (sql: string) => statements.push(sql);
    try {
      return { settled: await settleNextForWorker(ctx.db, worker), statements: statements.filter((sql) => !sql.startsWith('Executing (setup)')) };
    } finally {
      options.logging = before;
    }
  }

  it('claims a request seen ahead by an earlier settle in one statement, and one seen for the first time in two', async () => {
    const first = await addWorker(ctx.db, { name: 'first' });
    const second = await addWorker(ctx.db, { name: 'second' });
    const a = await addRequest(ctx.db);
    const b = await addRequest(ctx.db);
    const unseen = await settleCounting(first);
    expect(unseen.settled).toBe(a);
    expect(unseen.statements).toHaveLength(2);
    const seen = await settleCounting(second);
    expect(seen.settled).toBe(b);
    expect(seen.statements).toHaveLength(1);
    const [rows] = await ctx.db.sequelize.query('select id, worker_id from work_requests order by id');
    expect(rows).toEqual([
      { id: a, worker_id: first },
      { id: b, worker_id: second },
    ]);
  });

  it('closes a request whose task is no longer known as configure-failed, even one checked before it changed, and claims the next', async () => {
    const first = await addWorker(ctx.db, { name: 'first' });
    const second = await addWorker(ctx.db, { name: 'second' });
    await addRequest(ctx.db);
    const changed = await addRequest(ctx.db);
    const valid = await addRequest(ctx.db);
    await settleNextForWorker(ctx.db, first);
    // As if queued by an older buildfleet: the settle above checked it ahead as it was.
    await ctx.db.sequelize.query(`update work_requests set task_name = 'retired' where id = $1::bigint`, { bind: [changed] });
    expect(await settleNextForWorker(ctx.db, second)).toBe(valid);
    const [rows] = await ctx.db.sequelize.query(
      `select id, status, worker_id, output_data -> 'errors' -> 0 ->> 'code' as code from work_requests where id in ($1, $2) order by id`,
      { bind: [changed, valid] },
    );
    expect(rows).toEqual([
      { id: changed, status: 'completed', worker_id: null, code: 'configure-failed' },
      { id: valid, status: 'pending', worker_id: second, code: null },
    ]);
  });

  it('claims nothing beyond the worker\'s concurrency, and nothing for a draining worker', async () => {
    const worker = await addWorker(ctx.db, { name: 'w', concurrency: 1 });
    const a = await addRequest(ctx.db);
    await addRequest(ctx.db);
    expect(await settleNextForWorker(ctx.db, worker)).toBe(a);
    await ctx.db.sequelize.query(`update work_requests set status = 'running', started_at = now() where id = $1::bigint`, { bind: [a] });
    expect(await settleNextForWorker(ctx.db, worker)).toBeNull();
    await ctx.db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where id = $1::bigint`, { bind: [a] });
    await ctx.db.sequelize.query(`update workers set draining_since = now(), draining_reason = 'DrainOverBudget' where id = $1::bigint`, { bind: [worker] });
    expect(await settleNextForWorker(ctx.db, worker)).toBeNull();
  });
});
