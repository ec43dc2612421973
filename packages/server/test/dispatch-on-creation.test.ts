import { connectDatabase, upsertScope } from '@buildfleet/models';
import { createWorkRequest, getWorkRequest } from '@buildfleet/scheduler';
import { useTestDatabase } from '@buildfleet/testdb';
import pino from 'pino';
import { startServer } from '../src';

// One server only, its dispatch interval ten minutes: only the notification can assign in time.
const testDb = useTestDatabase();

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('dispatches a request created by another process at once, through its notification, not on the next interval', async () => {
  const slow = await startServer({ databaseUrl: testDb.url, port: 0, provision: false, scheduleIntervalMs: 600_000, logger: pino({ level: 'silent' }) });
  const other = connectDatabase(testDb.url, 2);
  try {
    await upsertScope(other, { name: 'debian' });
    await slow.db.sequelize.query(
      `with token as (insert into tokens (hash, enabled) values (encode(sha256(random()::text::bytea), 'hex'), true) returning id),
       worker as (
         insert into workers (name, token_id, tags) select 'free-site-now', id, '{worker-type:external,task:noop,site:now}' from token returning id
       )
       insert into worker_sessions (worker_id, process_id, expires_at) select id, gen_random_uuid(), now() + interval '1 hour' from worker`,
    );
    // The interval's first pass runs at start; let it finish before the request exists.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const { id } = await createWorkRequest(other, { scope: 'debian', taskName: 'noop', workerRequirements: ['site:now'] });

    const assigned = await until(async () => {
      const request = await getWorkRequest(other, id);
      return request.worker ? request : undefined;
    }, 'the new request to be assigned', 5_000);
    expect(assigned.worker).toBe('free-site-now');
  } finally {
    await other.close();
    await slow.close();
  }
});
