import { ConflictError, NotFoundError, ValidationError } from '@buildfleet/models';
import {
  abortLostWork,
  abortWorkRequests,
  abortWorkRequestsAsAdmin,
  getWorkRequest,
  listLostWork,
  listWorkRequests,
  MAX_AUTOMATIC_RETRIES,
  retryWorkRequest,
  setPriorityAdjustment,
} from '../src';
import { addRequest, addScope, addWorker, resetDatabase, useDatabase } from './fixtures';

const ctx = useDatabase();

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
  await addScope(ctx.db, 'kali');
});

async function running(workerName = 'builder'): Promise<string> {
  const worker = await addWorker(ctx.db, { name: workerName });
  const id = await addRequest(ctx.db);
  await ctx.db.sequelize.query(`update work_requests set status = 'running', worker_id = $2, started_at = now() where id = $1`, {
    bind: [id, worker],
  });
  return id;
}

async function complete(id: string, result: string): Promise<void> {
  await ctx.db.sequelize.query(`update work_requests set status = 'completed', result = $2, completed_at = now() where id = $1`, {
    bind: [id, result],
  });
}

describe('aborting work requests as an admin', () => {
  it('aborts pending and running requests with the reason recorded, and retries neither', async () => {
    const pending = await addRequest(ctx.db);
    const onWorker = await running();

    const aborted = await abortWorkRequestsAsAdmin(ctx.db, [pending, onWorker], { reason: 'wrong suite' });

    expect(aborted.map((r) => [r.id, r.status, r.errors])).toEqual([
      [pending, 'aborted', [{ message: 'wrong suite', code: 'aborted' }]],
      [onWorker, 'aborted', [{ message: 'wrong suite', code: 'aborted' }]],
    ]);
    expect(aborted.every((r) => r.completedAt && r.supersededBy === null)).toBe(true);
    expect((await listWorkRequests(ctx.db)).workRequests).toHaveLength(2);
  });

  it('refuses the whole lot when one is unknown or finished, changing nothing', async () => {
    const pending = await addRequest(ctx.db);
    const done = await addRequest(ctx.db);
    await complete(done, 'success');

    await expect(abortWorkRequestsAsAdmin(ctx.db, [pending, '999'])).rejects.toThrow(NotFoundError);
    await expect(abortWorkRequestsAsAdmin(ctx.db, [pending, done])).rejects.toThrow(
      new ConflictError(`work request ${done} is already completed: only pending, blocked or running requests can be aborted`),
    );
    await expect(abortWorkRequestsAsAdmin(ctx.db, ['x1'])).rejects.toThrow(ValidationError);
    expect((await getWorkRequest(ctx.db, pending)).status).toBe('pending');
  });
});

describe('retrying a work request', () => {
  it('queues a pending copy that supersedes a failed one, shown on both', async () => {
    const failed = await addRequest(ctx.db, { priorityBase: 5, taskData: { result: false } });
    await complete(failed, 'failure');

    const retry = await retryWorkRequest(ctx.db, failed);

    expect(retry).toMatchObject({ status: 'pending', supersedes: failed, retryCount: 1, taskData: { result: false } });
    expect(retry.priority.base).toBe(5);
    expect((await getWorkRequest(ctx.db, failed)).supersededBy).toBe(retry.id);
  });

  it('retries an aborted request, but not twice, and never a successful, pending or running one', async () => {
    const aborted = await addRequest(ctx.db);
    await abortWorkRequestsAsAdmin(ctx.db, [aborted]);
    const retry = await retryWorkRequest(ctx.db, aborted);
    const succeeded = await addRequest(ctx.db);
    await complete(succeeded, 'success');

    await expect(retryWorkRequest(ctx.db, aborted)).rejects.toThrow(`already retried as ${retry.id}`);
    await expect(retryWorkRequest(ctx.db, succeeded)).rejects.toThrow('is completed (success): only failed or aborted');
    await expect(retryWorkRequest(ctx.db, retry.id)).rejects.toThrow('is pending');
    await expect(retryWorkRequest(ctx.db, '12345')).rejects.toThrow(NotFoundError);
  });
});

describe('lost work', () => {
  it(`is retried automatically up to ${MAX_AUTOMATIC_RETRIES} times, with every reason kept`, async () => {
    let id = await running();
    const worker = (await ctx.db.models.Worker.findOne({ where: { name: 'builder' } }))!.id;
    for (let attempt = 1; attempt <= MAX_AUTOMATIC_RETRIES + 1; attempt++) {
      const { aborted, retries } = await abortWorkRequests(ctx.db, { workerIds: [worker] }, { cause: 'worker-failed', reason: `lost ${attempt}` });
      expect(aborted).toEqual([id]);
      if (attempt > MAX_AUTOMATIC_RETRIES) {
        expect(retries).toEqual([]);
        break;
      }
      expect(retries).toEqual([{ id: expect.any(String), supersedes: id }]);
      id = retries[0]!.id;
      await ctx.db.sequelize.query(`update work_requests set status = 'running', worker_id = $2, started_at = now() where id = $1`, {
        bind: [id, worker],
      });
    }
    const last = await getWorkRequest(ctx.db, id);
    expect(last).toMatchObject({ status: 'aborted', result: 'error', retryCount: MAX_AUTOMATIC_RETRIES });
    expect(last.errors).toEqual([{ message: `lost ${MAX_AUTOMATIC_RETRIES + 1}`, code: 'worker-failed' }]);
  });

  it('is aborted once: a repeat finds nothing to do', async () => {
    const id = await running();
    const worker = (await ctx.db.models.Worker.findOne({ where: { name: 'builder' } }))!.id;
    const lose = () => abortWorkRequests(ctx.db, { workerIds: [worker] }, { cause: 'worker-failed', reason: 'gone' });

    expect((await lose()).aborted).toEqual([id]);
    expect(await lose()).toEqual({ aborted: [], retries: [] });
  });
});

describe('the lost-work pass', () => {
  /** A worker running one request, its only session's lease ended `secondsAgo` ago. */
  async function disconnectedWorkerRunning(name: string, secondsAgo: number): Promise<string> {
    const id = await running(name);
    await ctx.db.sequelize.query(
      `update worker_sessions set connected_at = now() - interval '2 hours', expires_at = now() - $2 * interval '1 second'
        where worker_id = (select id from workers where name = $1)`,
      { bind: [name, secondsAgo] },
    );
    return id;
  }

  it('aborts and retries work of a worker gone longer than the limit or disabled, and leaves the rest running', async () => {
    const gone = await disconnectedWorkerRunning('gone', 700);
    const briefly = await disconnectedWorkerRunning('briefly', 60);
    const connected = await running('connected');
    const disabled = await running('disabled');
    await ctx.db.sequelize.query(`update tokens set enabled = false where id = (select token_id from workers where name = 'disabled')`);

    const { aborted, retries } = await abortLostWork(ctx.db, { lostAfterSeconds: 600 });

    expect(aborted.sort()).toEqual([gone, disabled].sort());
    expect(retries.map((r) => r.supersedes).sort()).toEqual([gone, disabled].sort());
    expect((await getWorkRequest(ctx.db, briefly)).status).toBe('running');
    expect((await getWorkRequest(ctx.db, connected)).status).toBe('running');
    expect((await getWorkRequest(ctx.db, gone)).errors).toEqual([
      { message: 'The worker was disconnected for more than 600 s while this request ran on it', code: 'worker-failed' },
    ]);
    expect(await abortLostWork(ctx.db, { lostAfterSeconds: 600 })).toEqual({ aborted: [], retries: [] });
  });

  it('lists the work lost, newest first, with the reason and the retry', async () => {
    const gone = await disconnectedWorkerRunning('gone', 700);
    const { retries } = await abortLostWork(ctx.db, { lostAfterSeconds: 600 });
    await abortWorkRequestsAsAdmin(ctx.db, [retries[0]!.id]);

    expect(await listLostWork(ctx.db)).toEqual([
      expect.objectContaining({
        id: gone,
        worker: 'gone',
        taskName: 'noop',
        reason: 'The worker was disconnected for more than 600 s while this request ran on it',
        retriedAs: retries[0]!.id,
      }),
    ]);
  });
});

describe('listing work requests', () => {
  it('lists newest first, a page at a time, with a cursor to the next page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await addRequest(ctx.db));

    const first = await listWorkRequests(ctx.db, { limit: 2 });
    const second = await listWorkRequests(ctx.db, { limit: 2, before: first.next! });
    const last = await listWorkRequests(ctx.db, { limit: 2, before: second.next! });

    expect([first, second, last].map((p) => p.workRequests.map((r) => r.id))).toEqual([
      [ids[4], ids[3]],
      [ids[2], ids[1]],
      [ids[0]],
    ]);
    expect(last.next).toBeNull();
  });

  it('filters by status, scope, worker and task', async () => {
    const onWorker = await running('builder');
    const kali = await addRequest(ctx.db, { scope: 'kali' });
    await abortWorkRequestsAsAdmin(ctx.db, [kali]);
    const ids = async (filter: Parameters<typeof listWorkRequests>[1]) =>
      (await listWorkRequests(ctx.db, filter)).workRequests.map((r) => r.id);

    expect(await ids({ status: 'aborted' })).toEqual([kali]);
    expect(await ids({ scope: 'debian' })).toEqual([onWorker]);
    expect(await ids({ worker: 'builder' })).toEqual([onWorker]);
    expect(await ids({ task: 'noop', status: 'running' })).toEqual([onWorker]);
    expect(await ids({ task: 'sbuild' })).toEqual([]);
  });

  it('refuses bad filters by field, and unknown scopes and workers as not found', async () => {
    await expect(listWorkRequests(ctx.db, { limit: 0, before: 'abc' })).rejects.toMatchObject({
      issues: [expect.objectContaining({ field: 'limit' }), expect.objectContaining({ field: 'before' })],
    });
    await expect(listWorkRequests(ctx.db, { scope: 'nope' })).rejects.toThrow(NotFoundError);
    await expect(listWorkRequests(ctx.db, { worker: 'nope' })).rejects.toThrow(NotFoundError);
  });
});

describe('priority adjustment', () => {
  it('changes a pending request and refuses a running one or an out-of-range value', async () => {
    const pending = await addRequest(ctx.db, { priorityBase: 3 });
    const onWorker = await running();

    expect((await setPriorityAdjustment(ctx.db, pending, -5)).priority).toEqual({ base: 3, adjustment: -5, effective: -2 });
    await expect(setPriorityAdjustment(ctx.db, onWorker, 1)).rejects.toThrow(ConflictError);
    await expect(setPriorityAdjustment(ctx.db, pending, 2 ** 40)).rejects.toThrow(ValidationError);
  });
});
