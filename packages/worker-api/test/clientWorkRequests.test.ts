import { type Database } from '@buildfleet/models';
import request from 'supertest';
import { createUserToken } from '../src';
import { addWorker, addWorkRequest, assign, expectProblem, resetDatabase, row, useApp, useDatabase } from './fixtures';

const database = useDatabase();
const server = useApp(database);
let db: Database;
let userKey: string;
let adminKey: string;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  userKey = await createUserToken(db, { user: 'alice' });
  adminKey = await createUserToken(db, { user: 'root', admin: true });
});

const api = () => request(server.app);

describe('GET /api/1.0/work-request/', () => {
  it("pages newest first in Debusine's shape, each next link giving the following page", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await addWorkRequest(db));

    const first = await api().get('/api/1.0/work-request/?limit=2').set('token', userKey);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ count: null, previous: null });
    expect(first.body.results.map((r: { id: number }) => String(r.id))).toEqual([ids[2], ids[1]]);
    const next = new URL(first.body.next as string);
    const second = await api().get(`${next.pathname}${next.search}`).set('token', userKey);
    expect(second.body.results.map((r: { id: number }) => String(r.id))).toEqual([ids[0]]);
    expect(second.body.next).toBeNull();
  });

  it('lists only the scope of X-Debusine-Scope, and refuses a bad query or an unknown scope', async () => {
    await addWorkRequest(db);

    expect((await api().get('/api/1.0/work-request/').set('token', userKey).set('x-debusine-scope', 'debusine')).body.results).toHaveLength(1);
    expectProblem(await api().get('/api/1.0/work-request/').set('token', userKey).set('x-debusine-scope', 'other'), 404, 'Scope not found');
    expectProblem(await api().get('/api/1.0/work-request/?limit=0').set('token', userKey), 400, 'Invalid query');
    expectProblem(await api().get('/api/1.0/work-request/'), 403, 'Error');
  });
});

describe('GET, PATCH /api/1.0/work-request/<id>/', () => {
  it('shows a request with the ids of its artifacts, and 404 for an unknown one', async () => {
    const id = await addWorkRequest(db);

    expect((await api().get(`/api/1.0/work-request/${id}/`).set('token', userKey)).body).toMatchObject({ id: Number(id), artifacts: [] });
    expectProblem(await api().get('/api/1.0/work-request/999/').set('token', userKey), 404, 'Work request not found');
  });

  it("changes the priority adjustment with an admin's token only: a user's gets 403", async () => {
    const id = await addWorkRequest(db);

    expectProblem(await api().patch(`/api/1.0/work-request/${id}/`).set('token', userKey).send({ priority_adjustment: 3 }), 403, 'Permission denied');
    const changed = await api().patch(`/api/1.0/work-request/${id}/`).set('token', adminKey).send({ priority_adjustment: 3 });

    expect(changed.status).toBe(200);
    expect(changed.body.priority_adjustment).toBe(3);
    expectProblem(await api().patch(`/api/1.0/work-request/${id}/`).set('token', adminKey).send({ priority_adjustment: 'high' }), 400, 'Cannot update work request');
    expectProblem(await api().patch(`/api/1.0/work-request/${id}/`).set('token', adminKey).send({ priority_adjustment: 2 ** 40 }), 400, 'Cannot update work request');
  });
});

describe('POST /api/1.0/work-request/<id>/abort/ and retry/', () => {
  it("aborts a running request, ignores its worker's late completion, and retries it once", async () => {
    const worker = await addWorker(db, { name: 'builder' });
    const id = await addWorkRequest(db);
    await assign(db, id, worker.id, 'running');

    const aborted = await api().post(`/api/1.0/work-request/${id}/abort/`).set('token', userKey);
    expect(aborted.body).toMatchObject({ status: 'aborted', result: '' });
    const late = await api().put(`/api/1.0/work-request/${id}/completed/`).set('token', worker.key).send({ result: 'success' });
    expect(late.status).toBe(200);
    expect(await row(db, 'select status, result from work_requests where id = $1', [id])).toEqual({ status: 'aborted', result: '' });

    const retry = await api().post(`/api/1.0/work-request/${id}/retry/`).set('token', userKey);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'pending' });
    expectProblem(await api().post(`/api/1.0/work-request/${id}/retry/`).set('token', userKey), 409, 'Conflict');
    expectProblem(await api().post(`/api/1.0/work-request/${id}/abort/`).set('token', userKey), 409, 'Conflict');
  });
});
