import { connectedSinceSql, upsertScope } from '@buildfleet/models';
import { useTestDatabase } from '@buildfleet/testdb';
import { createStaticWorker } from '@buildfleet/worker-api';
import pino from 'pino';
import { type RunningServer, SimulatedWorker, startServer } from '../src';

const testDb = useTestDatabase();
const silent = pino({ level: 'silent' });
let first: RunningServer;

beforeAll(async () => {
  first = await startServer({ databaseUrl: testDb.url, port: 0, provision: false, logger: silent });
  await upsertScope(first.db, { name: 'debian' });
});
afterAll(async () => {
  await first.close();
});

async function sessions(): Promise<{ name: string; connected: boolean; live: number }[]> {
  const [rows] = await first.db.sequelize.query(
    `select w.name, ${connectedSinceSql('w.id')} is not null as connected,
            (select count(*)::int from worker_sessions s where s.worker_id = w.id and s.expires_at > now()) as live
       from workers w order by w.name`,
  );
  return rows as { name: string; connected: boolean; live: number }[];
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('starting and stopping a second replica leaves the first one\'s worker sessions untouched', async () => {
  const { activationKey } = await createStaticWorker(first.db, 'held-by-first');
  const worker = new SimulatedWorker({ apiUrl: first.apiUrl, activationToken: activationKey, name: 'held-by-first', duration: () => 10 });
  await worker.start();
  try {
    await until('the worker to connect to the first replica', async () => (await sessions())[0]?.connected === true);

    const second = await startServer({ databaseUrl: testDb.url, port: 0, provision: false, logger: silent });
    expect(await sessions()).toEqual([{ name: 'held-by-first', connected: true, live: 1 }]);
    const { activationKey: otherKey } = await createStaticWorker(second.db, 'held-by-second');
    const other = new SimulatedWorker({ apiUrl: second.apiUrl, activationToken: otherKey, name: 'held-by-second', duration: () => 10 });
    await other.start();
    await until('the other worker to connect to the second replica', async () => (await sessions())[1]?.connected === true);
    await second.close();
    other.stop();

    expect(await sessions()).toEqual([
      { name: 'held-by-first', connected: true, live: 1 },
      { name: 'held-by-second', connected: false, live: 0 },
    ]);
  } finally {
    worker.stop();
  }
});
