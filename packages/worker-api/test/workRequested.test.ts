import { type Database } from '@buildfleet/models';
import { WORK_REQUESTED_CHANNEL } from '@buildfleet/scheduler';
import { addWorker, addWorkRequest, resetDatabase, row, startApi, useDatabase, waitFor } from './fixtures';

const database = useDatabase();
let db: Database;
let replicas: Awaited<ReturnType<typeof startApi>>[] = [];

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  // Two processes listening, as two `buildfleet serve` replicas on one database.
  replicas = [await startApi(db, { dispatchOnWorkRequested: true }), await startApi(db, { dispatchOnWorkRequested: true })];
  await waitFor('both replicas listening', async () => (replicas.every((r) => r.api.isListening()) ? true : undefined));
});
afterEach(async () => {
  for (const replica of replicas) await replica.close();
});

const workerOf = (id: string) => row<{ worker_id: string | null }>(db, 'select worker_id from work_requests where id = $1', [id]);

it('places a request another process created (the CLI) on a free worker, once, whichever replica claims it', async () => {
  const builder = await addWorker(db, { name: 'builder' });
  await addWorker(db, { name: 'spare' });
  const id = await addWorkRequest(db);

  await waitFor('the request placed', async () => ((await workerOf(id)).worker_id ? true : undefined));
  for (const replica of replicas) await replica.api.settled();
  expect(await row(db, 'select count(*)::int as assigned, min(worker_id::text) as worker from work_requests where worker_id is not null')).toEqual({
    assigned: 1,
    worker: builder.id,
  });
});

it('runs a full pass for a notification that names no requests (a bulk change)', async () => {
  const id = await addWorkRequest(db);
  // Heard while no worker could take it: it stays pending.
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const replica of replicas) await replica.api.settled();
  const builder = await addWorker(db, { name: 'builder' });
  expect(await workerOf(id)).toEqual({ worker_id: null });

  await db.sequelize.query(`select pg_notify($1, '')`, { bind: [WORK_REQUESTED_CHANNEL] });
  await waitFor('the request placed', async () => ((await workerOf(id)).worker_id === builder.id ? true : undefined));
});
