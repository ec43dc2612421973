/**
 * The bound on debusine-worker's requests worked on at once (`maxWorkerRequests`): a burst
 * beyond it waits its turn and is answered in full; a request whose worker went away while
 * waiting is never worked on. The tokens table is locked meanwhile, so the requests let
 * through stay inside (in authentication) and can be counted as PostgreSQL backends waiting.
 */
import { request as httpRequest } from 'node:http';
import { type Database } from '@buildfleet/models';
import { type Transaction } from 'sequelize';
import { addWorker, addWorkRequest, assign, resetDatabase, row, startApi, type TestWorker, useDatabase, waitFor } from './fixtures';

const database = useDatabase();
let db: Database;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
});

async function workersWithWork(count: number): Promise<{ worker: TestWorker; workRequestId: string }[]> {
  const made = [];
  for (let i = 0; i < count; i++) {
    const worker = await addWorker(db, { name: `builder-${i}` });
    const workRequestId = await addWorkRequest(db);
    await assign(db, workRequestId, worker.id);
    made.push({ worker, workRequestId });
  }
  return made;
}

async function lockTokens(): Promise<Transaction> {
  const transaction = await db.sequelize.transaction();
  await db.sequelize.query('lock table tokens in access exclusive mode', { transaction });
  return transaction;
}

const backendsWaitingForLocks = async () =>
  (await row<{ n: number }>(db, `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).n;

describe('maxWorkerRequests', () => {
  it('works on at most that many worker requests at once; the rest wait their turn and every one is answered', async () => {
    const fleet = await workersWithWork(6);
    const running = await startApi(db, { maxWorkerRequests: 2 });
    let arrived = 0;
    running.server.on('request', () => arrived++);
    const lock = await lockTokens();
    try {
      const answers = fleet.map(({ worker }) =>
        fetch(`${running.apiUrl}/1.0/work-request/get-next-for-worker/`, { headers: { token: worker.key } }),
      );
      await waitFor('every request to arrive', async () => (arrived === fleet.length ? true : undefined));
      await waitFor('two requests to reach the database', async () => ((await backendsWaitingForLocks()) >= 2 ? true : undefined));
      // Nothing lets a third through while the two are stuck: give it the chance anyway.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await backendsWaitingForLocks()).toBe(2);

      await lock.commit();
      const responses = await Promise.all(answers);
      expect(responses.map((response) => response.status)).toEqual(fleet.map(() => 200));
      const started = await Promise.all(responses.map(async (response) => String(((await response.json()) as { id: number }).id)));
      expect(started).toEqual(fleet.map(({ workRequestId }) => workRequestId));
    } finally {
      await lock.commit().catch(() => undefined);
      await running.close();
    }
  });

  it('never works on a request whose worker went away while it waited', async () => {
    const [first, gone] = await workersWithWork(2);
    const running = await startApi(db, { maxWorkerRequests: 1 });
    let arrived = 0;
    let closed = 0;
    running.server.on('request', (_req, res) => {
      arrived++;
      res.once('close', () => closed++);
    });
    const lock = await lockTokens();
    try {
      const firstAnswer = fetch(`${running.apiUrl}/1.0/work-request/get-next-for-worker/`, { headers: { token: first!.worker.key } });
      await waitFor('the first request to reach the database', async () => ((await backendsWaitingForLocks()) === 1 ? true : undefined));
      const waiting = httpRequest(`${running.apiUrl}/1.0/work-request/get-next-for-worker/`, { headers: { token: gone!.worker.key } });
      waiting.on('error', () => undefined);
      waiting.end();
      await waitFor('the second request to arrive', async () => (arrived === 2 ? true : undefined));
      waiting.destroy();
      await waitFor('the server to see the second client leave', async () => (closed === 1 ? true : undefined));

      await lock.commit();
      expect((await firstAnswer).status).toBe(200);
      await running.api.settled();
      const left = await row<{ status: string; started_at: Date | null }>(db, 'select status, started_at from work_requests where id = $1', [gone!.workRequestId]);
      expect(left).toEqual({ status: 'pending', started_at: null });
    } finally {
      await lock.commit().catch(() => undefined);
      await running.close();
    }
  });
});
