import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { readMonthlyUsage, startOfMonth } from '../src';
import { addPool, addRequest, resetDatabase, useDatabase } from './fixtures';

const database = useDatabase();
let db: Database;
const NOW = new Date('2026-03-10T00:00:00Z');
const MONTH = new Date('2026-03-01T00:00:00Z');

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  await addPool(db, { name: 'dummy-a' });
});

const at = (iso: string) => new Date(iso);
const ids = async () =>
  (await db.sequelize.query<{ pool: string; scope: string }>(
    `select (select id from worker_pools) as pool, (select id from scopes) as scope`,
    { type: QueryTypes.SELECT },
  ))[0]!;

async function addWorker(name: string, instanceCreatedAt: Date | null): Promise<string> {
  const [row] = await db.sequelize.query<{ id: string }>(
    `with t as (insert into tokens (hash) values (md5($1) || md5($1)) returning id)
     insert into workers (name, worker_pool_id, token_id, instance_created_at)
     select $1, (select id from worker_pools), id, $2::timestamptz from t returning id`,
    { bind: [name, instanceCreatedAt], type: QueryTypes.SELECT },
  );
  return row!.id;
}

describe('readMonthlyUsage', () => {
  it('starts the month at 00:00 UTC on the 1st', () => {
    expect(startOfMonth(at('2026-03-31T23:59:59Z'))).toEqual(MONTH);
    expect(startOfMonth(at('2026-01-01T00:00:00Z'))).toEqual(at('2026-01-01T00:00:00Z'));
    // The month is UTC's, whatever the clock's time zone.
    expect(startOfMonth(at('2026-03-01T00:30:00+02:00'))).toEqual(at('2026-02-01T00:00:00Z'));
  });

  it('clips terminated instances to the month and counts live ones, booting or not, from launch', async () => {
    const { pool } = await ids();
    await db.sequelize.query(
      `insert into worker_pool_statistics (worker_pool_id, timestamp, runtime) values
         ($1, '2026-03-01T01:00:00Z', 7200),   -- began in February: 3600 s count
         ($1, '2026-03-05T00:00:00Z', 600),    -- all in March
         ($1, '2026-02-27T00:00:00Z', 999999)  -- February only`,
      { bind: [pool] },
    );
    await addWorker('dummy-a-001', at('2026-03-09T23:00:00Z')); // booting, never connected: 3600 s
    await addWorker('dummy-a-002', at('2026-02-20T00:00:00Z')); // live since February: 9 days of March
    await addWorker('dummy-a-003', null); // stopped: nothing
    const usage = await readMonthlyUsage(db, { now: NOW });
    expect(usage.pools['dummy-a']).toBe(3600 + 600 + 3600 + 9 * 86_400);
  });

  it("charges a scope its tasks' time in the month, running ones from their start", async () => {
    const { pool, scope } = await ids();
    const worker = await addWorker('dummy-a-001', at('2026-03-09T00:00:00Z'));
    await db.sequelize.query(
      `insert into worker_pool_task_execution_statistics (worker_pool_id, worker_id, scope_id, timestamp, runtime) values
         ($1, $2, $3, '2026-03-01T00:10:00Z', 1200), ($1, $2, $3, '2026-03-02T00:00:00Z', 300)`,
      { bind: [pool, worker, scope] },
    );
    const request = await addRequest(db);
    await db.sequelize.query(`update work_requests set status = 'running', worker_id = $1, started_at = '2026-03-09T23:30:00Z' where id = $2`, {
      bind: [worker, request],
    });
    const usage = await readMonthlyUsage(db, { now: NOW });
    expect(usage.scopes['dummy-a']).toEqual({ debian: 600 + 300 + 1800 });
  });
});
