import { type Database } from '@buildfleet/models';
import request from 'supertest';
import { createUserToken } from '../src';
import { addWorker, expectProblem, resetDatabase, row, rows, useApp, useDatabase } from './fixtures';

const database = useDatabase();
const server = useApp(database);
let db: Database;
let userKey: string;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  userKey = await createUserToken(db, { user: 'alice' });
});

// What `debusine create-work-request noop --workspace System` sends.
const create = (body: object, key = userKey, scope = 'debusine') =>
  request(server.app).post('/api/1.0/work-request/').set('token', key).set('x-debusine-scope', scope).send(body);
const noop = { task_name: 'noop', workspace: 'System', task_data: { result: true }, event_reactions: {} };

describe('POST /api/1.0/work-request/', () => {
  it('queues the work request and answers 200 with it, as Debusine does', async () => {
    const response = await create(noop);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ task_name: 'noop', task_data: { result: true }, status: 'pending', result: '', workspace: 'System' });
    expect(await row(db, 'select task_name, status from work_requests where id = $1', [String(response.body.id)])).toEqual({
      task_name: 'noop',
      status: 'pending',
    });
  });

  it.each([
    ['a worker token', async () => (await addWorker(db, { name: 'builder' })).key],
    ['an expired user token', async () => {
      const key = await createUserToken(db, { user: 'bob', expiresAt: new Date(Date.now() + 50) });
      await new Promise((resolve) => setTimeout(resolve, 80));
      return key;
    }],
  ])('answers 403 for %s', async (_case, key) => {
    expectProblem(await create(noop, await key()), 403, 'Error');
    expect(await rows(db, 'select id from work_requests')).toEqual([]);
  });

  it.each([
    ['an unknown field', { ...noop, priority: 5 }, 'priority'],
    ['an event reaction', { ...noop, event_reactions: { on_success: [{ action: 'send-notification' }] } }, 'event_reactions'],
    ['task data the task cannot take', { ...noop, task_name: 'mmdebstrap', task_data: { bootstrap_repositories: [] } }, 'task_data.bootstrap_options'],
    ['an unknown task', { ...noop, task_name: 'frobnicate' }, 'task_name'],
    ['a task name Object.prototype has', { ...noop, task_name: 'constructor' }, 'task_name'],
    ['the task name __proto__', { ...noop, task_name: '__proto__' }, 'task_name'],
    ['a field the task does not define', { ...noop, task_data: { result: true, extra: 1 } }, 'task_data.extra'],
    ['a __proto__ key in the task data', JSON.parse('{"task_name": "noop", "task_data": {"__proto__": {"result": false}}}'), 'task_data.__proto__'],
    ['sbuild with a number for host_architecture', { ...noop, task_name: 'sbuild', task_data: { input: { source_artifact: 1 }, environment: 'trixie', host_architecture: 5 } }, 'task_data.host_architecture'],
    ['a minimum beyond the bound', { ...noop, task_data: { worker_requirements: [`cpus>=${'9'.repeat(400)}`] } }, 'task_data.worker_requirements[0]'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const response = await create(body);

    expectProblem(response, 400, 'Cannot create work request');
    expect(Object.keys(response.body.validation_errors)).toContain(field);
    expect(await rows(db, 'select id from work_requests')).toEqual([]);
  });

  it('names the known tasks when the task is unknown', async () => {
    const response = await create({ ...noop, task_name: 'frobnicate' });
    expect(response.body.validation_errors.task_name).toEqual([expect.stringContaining('known Worker tasks: assemblesignedsource, autopkgtest,')]);
  });

  it('gives the new request to a free worker able to run it, and leaves one it cannot run pending', async () => {
    const builder = await addWorker(db, { name: 'builder' });
    const unfit = await create({ ...noop, task_data: { result: true, worker_requirements: ['memory_gib>=512'] } });
    const fit = await create(noop);
    await server.api.settled();

    expect(await rows(db, 'select id::int, status, worker_id from work_requests order by id')).toEqual([
      { id: unfit.body.id, status: 'pending', worker_id: null },
      { id: fit.body.id, status: 'pending', worker_id: builder.id },
    ]);
  });

  it('answers 404 for an unknown scope', async () => {
    expectProblem(await create(noop, userKey, 'nowhere'), 404, 'Scope not found');
  });
});
