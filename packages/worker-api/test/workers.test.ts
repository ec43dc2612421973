import { type Database, generateTokenKey } from '@buildfleet/models';
import request from 'supertest';
import { MAX_AUTOMATIC_RETRIES } from '@buildfleet/scheduler';
import {
  addWorker,
  addWorkRequest,
  assign,
  expectProblem,
  resetDatabase,
  row,
  rows,
  type TestWorker,
  useApp,
  useDatabase,
  workerMetadata,
} from './fixtures';

const database = useDatabase();
const server = useApp(database);
let db: Database;
let worker: TestWorker;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  worker = await addWorker(db, { name: 'builder' });
});

const getNext = (key = worker.key) => request(server.app).get('/api/1.0/work-request/get-next-for-worker/').set('token', key);
const complete = (id: string, body: unknown, key = worker.key) =>
  request(server.app).put(`/api/1.0/work-request/${id}/completed/`).set('token', key).send(body as object);

describe('worker authentication', () => {
  it.each([
    ['no token', async () => undefined],
    ['an unknown token', async () => generateTokenKey()],
    ['a disabled token', async () => (await addWorker(db, { name: 'off', enabled: false })).key],
    ['an over-long token', async () => 'a'.repeat(300)],
  ])('answers 403 with Debusine\'s problem for %s', async (_case, key) => {
    const token = await key();
    for (const call of [
      request(server.app).get('/api/1.0/work-request/get-next-for-worker/'),
      request(server.app).put('/api/1.0/worker/dynamic-metadata/').send({}),
      request(server.app).put('/api/1.0/work-request/1/completed/').send({ result: 'success' }),
      request(server.app).post('/api/1.0/artifact/').send({}),
    ]) {
      const response = await (token === undefined ? call : call.set('token', token));
      expectProblem(response, 403, 'Error');
      expect(response.body.detail).toBe('Authentication credentials were not provided.');
    }
  });
});

describe('worker authentication inside the task cycle\'s own statements', () => {
  const tokenOf = async (w: TestWorker) => (await row<{ token_id: string }>(db, 'select token_id from workers where id = $1', [w.id])).token_id;

  it.each([
    ['a disabled', 'update tokens set enabled = false where id = $1'],
    ['an expired', "update tokens set expire_at = now() - interval '1 minute' where id = $1"],
  ])('refuses %s token with 403 and changes nothing: neither the waiting request starts nor the running one completes', async (_case, change) => {
    const waiting = await addWorkRequest(db);
    await assign(db, waiting, worker.id, 'pending');
    const running = await addWorkRequest(db);
    await assign(db, running, worker.id, 'running');
    await db.sequelize.query(change, { bind: [await tokenOf(worker)] });

    expectProblem(await getNext(), 403, 'Error');
    expectProblem(await complete(running, { result: 'success' }), 403, 'Error');
    expect(await rows(db, 'select id, status from work_requests order by id')).toEqual([
      { id: waiting, status: 'pending' },
      { id: running, status: 'running' },
    ]);
  });

  it("answers a bad token before a malformed body, and the worker's own token with the body's 400", async () => {
    const send = (key: string) =>
      request(server.app).put('/api/1.0/work-request/1/completed/').set('token', key).set('content-type', 'application/json').send('{"result":');
    expectProblem(await send(generateTokenKey()), 403, 'Error');
    expect((await send(worker.key)).status).toBe(400);
  });

  it('stamps the token as seen on get-next and on a completion', async () => {
    const id = await addWorkRequest(db);
    await assign(db, id, worker.id, 'pending');
    const token = await tokenOf(worker);
    const seen = async () => (await row<{ seen: boolean }>(db, 'select last_seen_at is not null as seen from tokens where id = $1', [token])).seen;
    await db.sequelize.query('update tokens set last_seen_at = null where id = $1', { bind: [token] });
    expect((await getNext()).status).toBe(200);
    expect(await seen()).toBe(true);
    await db.sequelize.query('update tokens set last_seen_at = null where id = $1', { bind: [token] });
    expect((await complete(id, { result: 'success' })).status).toBe(200);
    expect(await seen()).toBe(true);
  });
});

describe('PUT /api/1.0/worker/dynamic-metadata/', () => {
  it('stores the metadata and turns it into the worker\'s tags', async () => {
    const metadata = workerMetadata({ 'system:architectures': ['arm64'], 'system:host_architecture': 'arm64', 'sbuild:available': true });

    const response = await request(server.app).put('/api/1.0/worker/dynamic-metadata/').set('token', worker.key).send(metadata);

    expect(response.status).toBe(204);
    const stored = await row<{ dynamic_metadata: object; tags: string[]; numeric_tags: object }>(
      db,
      'select dynamic_metadata, tags, numeric_tags from workers where id = $1',
      [worker.id],
    );
    expect(stored.dynamic_metadata).toEqual(metadata);
    expect(stored.tags).toEqual(expect.arrayContaining(['arch:arm64', 'executor:unshare', 'task:noop', 'task:sbuild']));
    expect(stored.tags).not.toContain('arch:amd64');
    expect(stored.numeric_tags).toEqual({ cpus: 2, memory_gib: 24 });
  });

  it('answers 400 for metadata that is not a mapping', async () => {
    const response = await request(server.app).put('/api/1.0/worker/dynamic-metadata/').set('token', worker.key).send([1, 2]);

    expectProblem(response, 400, 'Invalid dynamic metadata');
  });
});

describe('GET /api/1.0/work-request/get-next-for-worker/', () => {
  it('answers 204 when nothing fits the worker', async () => {
    await addWorkRequest(db); // noop needs task:noop, which the worker has: but it is disconnected
    await db.sequelize.query('update worker_sessions set expires_at = connected_at');

    const response = await getNext();

    expect(response.status).toBe(204);
  });

  it('hands out the request assigned to the worker and marks it running', async () => {
    const id = await addWorkRequest(db, { result: false });
    await assign(db, id, worker.id);

    const response = await getNext();

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: Number(id),
      task_name: 'noop',
      task_type: 'Worker',
      task_data: { result: false },
      status: 'running',
      result: '',
      worker: Number(worker.id),
      dynamic_task_data: null,
      artifacts: [],
      workspace: 'System',
    });
    expect(await row(db, 'select status, started_at is not null as started from work_requests where id = $1', [id])).toEqual({
      status: 'running',
      started: true,
    });
  });

  it("hands out the task data without buildfleet's worker_requirements, which the worker's models would refuse", async () => {
    const id = await addWorkRequest(db, { result: true, worker_requirements: ['cpus>=1'] });
    await assign(db, id, worker.id);

    expect((await getNext()).body.task_data).toEqual({ result: true });
  });

  it('claims a pending request the worker can run when none is assigned', async () => {
    const id = await addWorkRequest(db);

    expect((await getNext()).body.id).toBe(Number(id));
  });

  it('treats a request still running at the next fetch as a worker failure: aborted, and retried once more', async () => {
    const lost = await addWorkRequest(db);
    await assign(db, lost, worker.id, 'running');

    const response = await getNext();

    const retried = await rows<{ id: string; status: string; result: string; retry_count: number; supersedes_id: string | null }>(
      db,
      'select id, status, result, retry_count, supersedes_id from work_requests order by id',
    );
    expect(retried).toEqual([
      { id: lost, status: 'aborted', result: 'error', retry_count: 0, supersedes_id: null },
      expect.objectContaining({ retry_count: 1, supersedes_id: lost }),
    ]);
    // The retry is pending and unassigned, so this very fetch may claim it again.
    expect(response.body.id).toBe(Number(retried[1]!.id));
  });

  it(`stops retrying after ${MAX_AUTOMATIC_RETRIES} automatic retries`, async () => {
    const lost = await addWorkRequest(db);
    await db.sequelize.query('update work_requests set retry_count = $2 where id = $1', { bind: [lost, MAX_AUTOMATIC_RETRIES] });
    await assign(db, lost, worker.id, 'running');

    expect((await getNext()).status).toBe(204);
    expect(await rows(db, 'select status, result from work_requests')).toEqual([{ status: 'aborted', result: 'error' }]);
  });
});

describe('PUT /api/1.0/work-request/<id>/completed/', () => {
  const stats = { runtime_statistics: { duration: 7, cpu_time: 1 } };

  it('completes the request with its result, answering 200 with an empty body', async () => {
    const id = await addWorkRequest(db);
    await assign(db, id, worker.id, 'running');

    const response = await complete(id, { result: 'success', output_data: stats });

    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(await row(db, 'select status, result, output_data from work_requests where id = $1', [id])).toEqual({
      status: 'completed',
      result: 'success',
      output_data: stats,
    });
  });

  it('charges the runtime to the scope when the worker is in a pool, and only then', async () => {
    const pooled = await addWorker(db, { name: 'cloud-001', pool: 'cloud' });
    const onPool = await addWorkRequest(db);
    const onStatic = await addWorkRequest(db);
    await assign(db, onPool, pooled.id, 'running');
    await assign(db, onStatic, worker.id, 'running');

    await complete(onPool, { result: 'failure', output_data: stats }, pooled.key).expect(200);
    await complete(onStatic, { result: 'success', output_data: stats }).expect(200);

    expect(
      await rows(db, `select p.name as pool, w.name as worker, s.runtime from worker_pool_task_execution_statistics s
                        join worker_pools p on p.id = s.worker_pool_id join workers w on w.id = s.worker_id`),
    ).toEqual([{ pool: 'cloud', worker: 'cloud-001', runtime: 7 }]);
  });

  it('leaves a request that is no longer running alone, answering 200 as Debusine does', async () => {
    const id = await addWorkRequest(db);
    await assign(db, id, worker.id, 'running');
    await complete(id, { result: 'success' }).expect(200);

    await complete(id, { result: 'failure' }).expect(200);

    expect(await row(db, 'select result from work_requests where id = $1', [id])).toEqual({ result: 'success' });
  });

  it('answers 404 for an unknown request', async () => {
    expectProblem(await complete('999', { result: 'success' }), 404, 'Work request not found');
    expectProblem(await complete('nan', { result: 'success' }), 404, 'Work request not found');
  });

  it("answers 401 for another worker's request", async () => {
    const other = await addWorker(db, { name: 'other' });
    const id = await addWorkRequest(db);
    await assign(db, id, other.id, 'running');

    expectProblem(await complete(id, { result: 'success' }), 401, 'Invalid worker to update the work request');
    expect(await row(db, 'select status from work_requests where id = $1', [id])).toEqual({ status: 'running' });
  });

  it.each([
    ['an unknown result', { result: 'something not recognised' }, 'result'],
    ['no result', {}, 'result'],
    ['a negative duration', { result: 'success', output_data: { runtime_statistics: { duration: -1 } } }, 'output_data.runtime_statistics.duration'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const id = await addWorkRequest(db);
    await assign(db, id, worker.id, 'running');

    const response = await complete(id, body);

    expectProblem(response, 400, 'Cannot change work request as completed');
    expect(Object.keys(response.body.validation_errors)).toEqual([field]);
    expect(await row(db, 'select status from work_requests where id = $1', [id])).toEqual({ status: 'running' });
  });
});
