import { connectDatabase, generateTokenKey } from '@buildfleet/models';
import express from 'express';
import request from 'supertest';
import { createUserToken, MAX_JSON_DEPTH, workerApi } from '../src';
import {
  addWorker,
  addWorkRequest,
  assign,
  expectProblem,
  recordingLogger,
  resetDatabase,
  rows,
  type TestWorker,
  useApp,
  useDatabase,
} from './fixtures';

const database = useDatabase();
const server = useApp(database);
let worker: TestWorker;

beforeAll(async () => {
  await resetDatabase(database.db);
  worker = await addWorker(database.db, { name: 'builder' });
});

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const putMetadata = (body: string) =>
  request(server.app).put('/api/1.0/worker/dynamic-metadata/').set('token', worker.key).set('content-type', 'application/json').send(body);

describe('paths under /api', () => {
  it('answers an unknown path with a 404 problem, not an HTML page', async () => {
    const response = await request(server.app).get('/api/1.0/no-such-thing/');
    expectProblem(response, 404, 'Not found');
    expect(response.body.detail).toContain('/api/1.0/no-such-thing/');
  });

  it('answers a known path with another method with a 404 problem', async () => {
    expectProblem(await request(server.app).delete('/api/1.0/worker/register/'), 404, 'Not found');
  });

  it('answers bad percent-encoding in a file path with a 400 problem', async () => {
    const response = await request(server.app).put('/api/1.0/artifact/1/files/%ZZ/').set('token', worker.key).send('x');
    expectProblem(response, 400, 'Error');
  });

  it('answers bad percent-encoding in a work request id with a 400 problem', async () => {
    const response = await request(server.app).put('/api/1.0/work-request/%ZZ/completed/').set('token', worker.key).send({});
    expectProblem(response, 400, 'Error');
  });

  it('refuses a file path holding an encoded NUL', async () => {
    const response = await request(server.app).put('/api/1.0/artifact/1/files/a%00b/').set('token', worker.key).send('x');
    expectProblem(response, 400, 'Error');
    expect(response.body.detail).toContain('NUL');
  });

  it('refuses an encoded NUL in a file path a client downloads', async () => {
    const key = await createUserToken(database.db, { user: 'reader' });
    const response = await request(server.app).get('/api/1.0/artifact/1/files/a%00b/').set('token', key);
    expectProblem(response, 400, 'Error');
  });

  it('takes repeated slashes as one, as a worker with a trailing-slash api-url sends them', async () => {
    await request(server.app)
      .post('/api//1.0/worker/register/')
      .send({ token: generateTokenKey(), fqdn: 'slashes.example.org' })
      .expect(201);
    await request(server.app).put('/api///1.0//worker/dynamic-metadata/?x=1').set('token', worker.key).send({ a: 1 }).expect(204);
    expect(await rows(database.db, `select name from workers where name = 'slashes-example-org'`)).toHaveLength(1);
  });
});

describe('JSON bodies', () => {
  it('refuses a NUL character in a value, naming the field', async () => {
    const response = await putMetadata('{"system:cpu_count": 2, "note": {"list": ["ok", "a\\u0000b"]}}');
    expectProblem(response, 400, 'Invalid JSON body');
    expect(response.body.validation_errors).toEqual({ 'note.list[1]': [expect.stringContaining('NUL')] });
  });

  it('refuses a NUL character in a key, naming it with the NUL escaped', async () => {
    const response = await putMetadata('{"bad\\u0000key": 1}');
    expectProblem(response, 400, 'Invalid JSON body');
    expect(Object.keys(response.body.validation_errors)).toEqual(['bad\\u0000key']);
  });

  it('refuses unpaired surrogates in values and keys, and takes paired ones', async () => {
    for (const body of ['{"a": "\\ud800"}', '{"a": "x\\udc00"}', '{"\\udbff": 1}', '{"a": ["\\ud800\\ud800\\udc00"]}']) {
      const response = await putMetadata(body);
      expectProblem(response, 400, 'Invalid JSON body');
      expect(response.body.detail).toContain('unpaired UTF-16 surrogate');
    }
    await putMetadata('{"a": "\\ud83d\\ude00 \u00e9"}').expect(204);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels, and 5,000 levels, without a 500`, async () => {
    await putMetadata(`{"a": ${nested(MAX_JSON_DEPTH - 1)}}`).expect(204);
    expectProblem(await putMetadata(`{"a": ${nested(MAX_JSON_DEPTH)}}`), 400, 'Error');
    expectProblem(await putMetadata(`{"a": ${nested(5000)}}`), 400, 'Error');
  });

  it('counts brackets inside strings as text, not nesting', async () => {
    await putMetadata(JSON.stringify({ a: '['.repeat(1000), b: '\\"[[[' })).expect(204);
  });

  it('refuses a body over the size limit with a 413 problem', async () => {
    expectProblem(await putMetadata(JSON.stringify({ a: 'x'.repeat(2 ** 20) })), 413, 'Error');
  });

  it('refuses invalid JSON with a 400 problem', async () => {
    expectProblem(await putMetadata('{"a": '), 400, 'Error');
  });

  it('refuses task data with a lone surrogate in a work request before anything is written', async () => {
    const key = await createUserToken(database.db, { user: 'tester' });
    const before = await rows(database.db, 'select id from work_requests');
    const response = await request(server.app)
      .post('/api/1.0/work-request/')
      .set('token', key)
      .set('content-type', 'application/json')
      .send('{"task_name": "noop", "task_data": {"result": true, "x\\ud800": 1}}');
    expectProblem(response, 400, 'Invalid JSON body');
    expect(Object.keys(response.body.validation_errors)).toEqual(['task_data.x\\ud800']);
    expect(await rows(database.db, 'select id from work_requests')).toEqual(before);
  });

  it('refuses a NUL in a completion\'s output data', async () => {
    const id = await addWorkRequest(database.db);
    await assign(database.db, id, worker.id, 'running');
    const response = await request(server.app)
      .put(`/api/1.0/work-request/${id}/completed/`)
      .set('token', worker.key)
      .set('content-type', 'application/json')
      .send('{"result": "success", "output_data": {"skip_reason": "\\u0000"}}');
    expectProblem(response, 400, 'Invalid JSON body');
    expect(response.body.validation_errors).toEqual({ 'output_data.skip_reason': [expect.any(String)] });
  });
});

describe('fields named after Object.prototype', () => {
  it('names an unknown field called constructor or __proto__ in a 400, as any other', async () => {
    const key = await createUserToken(database.db, { user: 'tester' });
    for (const field of ['constructor', '__proto__', 'toString']) {
      const response = await request(server.app)
        .post('/api/1.0/work-request/')
        .set('token', key)
        .set('content-type', 'application/json')
        .send(`{"task_name": "noop", "${field}": 1}`);
      expectProblem(response, 400, 'Cannot create work request');
      expect(Object.keys(JSON.parse(response.text).validation_errors)).toEqual([field]);
    }
  });
});

describe('a real fault', () => {
  it('answers 500 with a problem body and logs it, when the database is down', async () => {
    const closed = await connectDatabase(database.db.url, 1);
    await closed.close();
    const logger = recordingLogger();
    const api = workerApi({ db: closed, logger });
    const app = express().use('/api', api.router);
    try {
      const response = await request(app).get('/api/1.0/work-request/get-next-for-worker/').set('token', worker.key);
      expectProblem(response, 500, 'Server error');
      expect(logger.lines.join('\n')).toMatch(/GET \/api\/1\.0\/work-request\/get-next-for-worker\/ failed/);
      expect(logger.lines.join('\n')).not.toContain(worker.key);
    } finally {
      await api.close();
    }
  });
});
