import { assignNextForWorker, runDispatchPass } from '../src';
import { addRequest, addScope, addWorker, resetDatabase, useDatabase } from './fixtures';

const ctx = useDatabase();

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

async function overCapacityWorkers(): Promise<unknown[]> {
  const [rows] = await ctx.db.sequelize.query(
    `select w.name from workers w join work_requests r on r.worker_id = w.id and r.status in ('pending', 'running')
      group by w.id having count(*) > w.concurrency`,
  );
  return rows;
}

it('assigns nothing twice and overfills no worker when eight passes race', async () => {
  for (let i = 0; i < 30; i++) await addWorker(ctx.db, { name: `w${i}`, concurrency: 2 });
  await addRequest(ctx.db);
  await ctx.db.sequelize.query(
    `insert into work_requests (scope_id, task_name, requirement_set_id)
     select scope_id, task_name, requirement_set_id from work_requests, generate_series(1, 199)`,
  );
  const results = await Promise.all(Array.from({ length: 8 }, () => runDispatchPass(ctx.db)));
  const claimed = results.flatMap((r) => r.assignments.map((a) => a.workRequestId));
  expect(new Set(claimed).size).toBe(claimed.length);
  expect(claimed).toHaveLength(60);
  expect(await overCapacityWorkers()).toEqual([]);
});

it('lets workers ask for their next request while passes run, without overfilling any', async () => {
  const workers = [];
  for (let i = 0; i < 10; i++) workers.push(await addWorker(ctx.db, { name: `w${i}` }));
  for (let i = 0; i < 40; i++) await addRequest(ctx.db);
  await Promise.all([
    runDispatchPass(ctx.db),
    ...workers.map((id) => assignNextForWorker(ctx.db, id)),
    runDispatchPass(ctx.db),
  ]);
  expect(await overCapacityWorkers()).toEqual([]);
  const [[{ assigned }]] = (await ctx.db.sequelize.query(
    'select count(*)::int as assigned from work_requests where worker_id is not null',
  )) as [[{ assigned: number }], unknown];
  expect(assigned).toBe(10);
});

describe('the worker-initiated path', () => {
  it('returns the request already assigned to the worker', async () => {
    const worker = await addWorker(ctx.db, { name: 'w' });
    const id = await addRequest(ctx.db);
    await runDispatchPass(ctx.db);
    expect((await assignNextForWorker(ctx.db, worker))?.id).toBe(id);
  });

  it('claims the best request the worker can run when none is assigned', async () => {
    const worker = await addWorker(ctx.db, { name: 'w' });
    await addRequest(ctx.db, { workerRequirements: ['memory_gib>=64'], priorityBase: 9 });
    await addRequest(ctx.db, { createdAt: new Date('2026-02-01') });
    const oldest = await addRequest(ctx.db, { createdAt: new Date('2026-01-01') });
    const next = await assignNextForWorker(ctx.db, worker);
    expect(next?.id).toBe(oldest);
    expect(next?.workerId).toBe(worker);
  });

  it('gives nothing to a worker at capacity, disconnected, or with a disabled token', async () => {
    const busy = await addWorker(ctx.db, { name: 'busy' });
    const offline = await addWorker(ctx.db, { name: 'offline', connected: false });
    const disabled = await addWorker(ctx.db, { name: 'disabled', enabled: false });
    const first = await addRequest(ctx.db);
    await addRequest(ctx.db);
    await assignNextForWorker(ctx.db, busy);
    await ctx.db.sequelize.query(`update work_requests set status = 'running', started_at = now() where id = ${first}`);
    expect(await assignNextForWorker(ctx.db, busy)).toBeNull();
    expect(await assignNextForWorker(ctx.db, offline)).toBeNull();
    expect(await assignNextForWorker(ctx.db, disabled)).toBeNull();
  });
});
