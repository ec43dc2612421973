import { connectDatabase, type Database, linkScopePool } from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { placeWorkRequests } from '../src';
import { addPool, addRequest, addScope, addWorker, assignmentsByName, resetDatabase, workerMetadata } from './fixtures';

const ctx = useConnectedDatabase((url) => connectDatabase(url, 8));

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

it('places a new request on the worker a pass would choose: pool order first, then the earliest connected', async () => {
  await addPool(ctx.db, { name: 'cheap' });
  await addPool(ctx.db, { name: 'pricey' });
  await linkScopePool(ctx.db, { scope: 'debian', pool: 'cheap', priority: 10 });
  await linkScopePool(ctx.db, { scope: 'debian', pool: 'pricey', priority: 1 });
  await addWorker(ctx.db, { name: 'pricey-oldest', pool: 'pricey', connectedAt: minutesAgo(30) });
  await addWorker(ctx.db, { name: 'cheap-newer', pool: 'cheap', connectedAt: minutesAgo(5) });
  await addWorker(ctx.db, { name: 'cheap-older', pool: 'cheap', connectedAt: minutesAgo(10) });
  await addWorker(ctx.db, { name: 'cheap-small', pool: 'cheap', connectedAt: minutesAgo(20), metadata: workerMetadata({ 'system:total_physical_memory': 2 ** 30 }) });
  const id = await addRequest(ctx.db, { workerRequirements: ['memory_gib>=8'] });

  expect(await placeWorkRequests(ctx.db, [id])).toEqual({ placed: [id], passWanted: false });
  expect(await assignmentsByName(ctx.db)).toEqual({ [id]: 'cheap-older' });
});

it('gives an older request waiting for the same workers the first of them, and the new one the next', async () => {
  const older = await addRequest(ctx.db, { createdAt: minutesAgo(10) });
  await addWorker(ctx.db, { name: 'first', connectedAt: minutesAgo(2) });
  await addWorker(ctx.db, { name: 'second', connectedAt: minutesAgo(1) });
  const id = await addRequest(ctx.db);

  expect(await placeWorkRequests(ctx.db, [id])).toEqual({ placed: [id], passWanted: false });
  expect(await assignmentsByName(ctx.db)).toEqual({ [older]: 'first', [id]: 'second' });
});

it('leaves a request no free worker can run pending, without asking for a pass', async () => {
  await addWorker(ctx.db, { name: 'small' });
  const busy = await addWorker(ctx.db, { name: 'busy', metadata: workerMetadata({ 'system:total_physical_memory': 128 * 2 ** 30 }) });
  const running = await addRequest(ctx.db);
  await ctx.db.sequelize.query(`update work_requests set worker_id = $1, status = 'running', started_at = now() where id = $2`, {
    bind: [busy, running],
  });
  const id = await addRequest(ctx.db, { workerRequirements: ['memory_gib>=64'] });

  expect(await placeWorkRequests(ctx.db, [id])).toEqual({ placed: [], passWanted: false });
  const request = await ctx.db.models.WorkRequest.findByPk(id);
  expect([request?.status, request?.workerId]).toEqual(['pending', null]);
});

it('asks for a pass when the free workers it settled all took older requests', async () => {
  await addWorker(ctx.db, { name: 'only' });
  const older = await addRequest(ctx.db, { createdAt: minutesAgo(10) });
  const id = await addRequest(ctx.db);

  expect(await placeWorkRequests(ctx.db, [id])).toEqual({ placed: [], passWanted: true });
  expect(await assignmentsByName(ctx.db)).toEqual({ [older]: 'only' });
});

it('reads the candidates and claims in one statement each, the new request checked ahead', async () => {
  await addWorker(ctx.db, { name: 'w' });
  const id = await addRequest(ctx.db);
  const statements: string[] = [];
  const options = (ctx.db.sequelize as unknown as { options: { logging: unknown } }).options;
  const before = options.logging;
  options.logging = (sql: string) => statements.push(sql);
  try {
    expect(await placeWorkRequests(ctx.db, [id])).toEqual({ placed: [id], passWanted: false });
  } finally {
    options.logging = before;
  }
  expect(statements.filter((sql) => !sql.startsWith('Executing (setup)'))).toHaveLength(2);
});

it('closes a queued request its task no longer configures as configure-failed instead of placing it', async () => {
  await addWorker(ctx.db, { name: 'w' });
  const id = await addRequest(ctx.db);
  // As if queued by an older buildfleet.
  await ctx.db.sequelize.query(`update work_requests set task_name = 'retired' where id = $1::bigint`, { bind: [id] });

  expect((await placeWorkRequests(ctx.db, [id])).placed).toEqual([]);
  const [rows] = await ctx.db.sequelize.query(`select status, worker_id, output_data -> 'errors' -> 0 ->> 'code' as code from work_requests`);
  expect(rows).toEqual([{ status: 'completed', worker_id: null, code: 'configure-failed' }]);
});

it('asks for no pass when another claim takes the request while it is being placed', async () => {
  const first = await addWorker(ctx.db, { name: 'first', connectedAt: minutesAgo(3) });
  await addWorker(ctx.db, { name: 'second', connectedAt: minutesAgo(2) });
  await addWorker(ctx.db, { name: 'elsewhere', connected: false });
  const id = await addRequest(ctx.db);

  // A completing worker's settle holds the first candidate and gives the request elsewhere.
  const placing = await ctx.db.sequelize.transaction(async (transaction) => {
    await ctx.db.sequelize.query(`select id from workers where id = $1::bigint for no key update`, { bind: [first], transaction });
    const result = placeWorkRequests(ctx.db, [id]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ctx.db.sequelize.query(`update work_requests set worker_id = (select id from workers where name = 'elsewhere') where id = $1::bigint`, {
      bind: [id],
      transaction,
    });
    return { result };
  });

  expect(await placing.result).toEqual({ placed: [], passWanted: false });
  expect(await assignmentsByName(ctx.db)).toEqual({ [id]: 'elsewhere' });
});

it('leaves many requests queued at once to a full pass', async () => {
  await addWorker(ctx.db, { name: 'w' });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await addRequest(ctx.db));
  expect(await placeWorkRequests(ctx.db, ids)).toEqual({ placed: [], passWanted: true });
  expect(await assignmentsByName(ctx.db)).toEqual({});
});

describe('two processes placing at once', () => {
  let other: Database;
  beforeAll(() => {
    other = connectDatabase(ctx.url, 8);
  });
  afterAll(() => other.close());

  it('assigns each request once, to the earliest connected workers, and overfills none', async () => {
    for (let i = 0; i < 6; i++) await addWorker(ctx.db, { name: `w${i}`, connectedAt: minutesAgo(10 - i) });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await addRequest(ctx.db));

    await Promise.all([
      placeWorkRequests(ctx.db, ids),
      placeWorkRequests(other, ids),
      placeWorkRequests(other, ids.slice(2)),
      placeWorkRequests(ctx.db, ids.slice().reverse()),
    ]);
    const assigned = await assignmentsByName(ctx.db);
    expect(Object.keys(assigned).sort()).toEqual(ids.slice().sort());
    expect(Object.values(assigned).sort()).toEqual(['w0', 'w1', 'w2', 'w3']);
  });
});
