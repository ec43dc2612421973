import { type Database, generateTokenKey, hashTokenKey } from '@buildfleet/models';
import { refreshWorkerTags } from '@buildfleet/scheduler';
import { setWorkerEnabled, type WorkerApi, workerApi } from '@buildfleet/worker-api';
import express from 'express';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { releaseWorkers } from '../src/sql/releaseWorkers';
import { addPool, addRequest, resetDatabase, useDatabase } from './fixtures';

// Before the rule had one owner, the worker API overwrote a lost request's errors and charged
// nothing, while instance release appended them and charged the elapsed time: this test loses
// the same request each way a worker can be lost and expects one outcome.

const database = useDatabase();
let db: Database;
let api: WorkerApi;
beforeAll(() => {
  db = database.db;
  api = workerApi({ db, logger: { info: () => {}, warn: () => {}, error: () => {} } });
});
afterAll(() => api.close());

/**
 * A connected pool worker (its key returned) running one request that started 31 s ago and already has an error
 * (31, not 30: release measures with the tick's millisecond clock against the database's microsecond one).
 */
async function workerRunningLostRequest(): Promise<{ key: string; requestId: string }> {
  await resetDatabase(db);
  await addPool(db, { name: 'cloud' });
  const key = generateTokenKey();
  const [worker] = await db.sequelize.query<{ id: string }>(
    `with token as (insert into tokens (hash, enabled) values ($1, true) returning id),
     worker as (
       insert into workers (name, token_id, worker_pool_id, instance_created_at, dynamic_metadata)
       select 'cloud-001', token.id, p.id, now() - interval '1 minute',
              '{"system:worker_type": "external", "noop:version": 1, "system:host_architecture": "amd64"}'
         from token, worker_pools p where p.name = 'cloud'
       returning id
     ), session as (
       insert into worker_sessions (worker_id, process_id, expires_at)
       select id, gen_random_uuid(), now() + interval '1 hour' from worker
     )
     select id from worker`,
    { bind: [hashTokenKey(key)], type: QueryTypes.SELECT },
  );
  await refreshWorkerTags(db, [worker!.id]);
  const requestId = await addRequest(db);
  await db.sequelize.query(
    `update work_requests set status = 'running', worker_id = $2, started_at = now() - interval '31 seconds',
            output_data = '{"errors": [{"message": "an earlier problem", "code": "earlier"}]}'
      where id = $1`,
    { bind: [requestId, worker!.id] },
  );
  return { key, requestId };
}

async function outcome(requestId: string) {
  const [lost] = await db.sequelize.query<{ status: string; result: string; codes: string[]; first_message: string }>(
    `select status, result, array(select e ->> 'code' from jsonb_array_elements(output_data -> 'errors') e) as codes,
            output_data -> 'errors' -> 0 ->> 'message' as first_message
       from work_requests where id = $1`,
    { bind: [requestId], type: QueryTypes.SELECT },
  );
  const charged = await db.sequelize.query<{ scope: string; runtime: number }>(
    `select s.name as scope, t.runtime from worker_pool_task_execution_statistics t join scopes s on s.id = t.scope_id`,
    { type: QueryTypes.SELECT },
  );
  const retries = await db.sequelize.query<{ retry_count: number; supersedes_id: string }>(
    `select retry_count, supersedes_id from work_requests where supersedes_id is not null`,
    { type: QueryTypes.SELECT },
  );
  return { lost, charged: charged.map((c) => ({ scope: c.scope, atLeast30s: c.runtime >= 30 && c.runtime < 60 })), retries };
}

const ways: [string, (key: string) => Promise<unknown>][] = [
  [
    'the worker asks for new work while it still runs',
    async (key) => {
      await request(express().use('/api', api.router)).get('/api/1.0/work-request/get-next-for-worker/').set('token', key);
    },
  ],
  ['an admin disables the worker', () => setWorkerEnabled(db, 'cloud-001', false)],
  [
    "the worker's instance is terminated",
    () => releaseWorkers(db, [{ worker: 'cloud-001', charge: true, why: 'terminated' }], { now: new Date() }),
  ],
];

describe('a running request whose worker is lost', () => {
  it.each(ways)('ends the same way when %s: aborted as worker-failed, errors kept, time charged, retried', async (_way, lose) => {
    const { key, requestId } = await workerRunningLostRequest();

    await lose(key);

    expect(await outcome(requestId)).toEqual({
      lost: { status: 'aborted', result: 'error', codes: ['earlier', 'worker-failed'], first_message: 'an earlier problem' },
      charged: [{ scope: 'debian', atLeast30s: true }],
      retries: [{ retry_count: 1, supersedes_id: requestId }],
    });
  });
});
