import { createEmptyDatabase, withPgClient } from '@buildfleet/testdb';
import { migrateDown, migrateUp } from '../src';

let database: { url: string; drop(): Promise<void> };

beforeEach(async () => {
  database = await createEmptyDatabase();
});
afterEach(async () => {
  await database.drop();
});

it('0012 keeps one sample per pool and instant, refuses negative figures, and drops samples with their pool', async () => {
  await migrateUp(database.url, { to: '0012-pool-samples' });
  await withPgClient(database.url, async (c) => {
    await c.query(`insert into provider_accounts (name, provider_type, sealed_credentials) values ('dummy', 'dummy', '')`);
    await c.query(
      `insert into worker_pools (name, provider_account_id, provider_type, architectures, specifications)
       select n, a.id, 'dummy', '{amd64}', '{"provider_type": "dummy"}' from provider_accounts a, (values ('kept'), ('deleted')) as p(n)`,
    );
    const sample = (pool: string, pending: number, live: number, seconds: number) =>
      c.query(
        `insert into worker_pool_samples (worker_pool_id, sampled_at, pending, live_instances, seconds_this_month)
         select id, '2026-11-30T12:00:00Z', $2, $3, $4 from worker_pools where name = $1
         on conflict (worker_pool_id, sampled_at) do nothing`,
        [pool, pending, live, seconds],
      );
    expect((await sample('kept', 3, 2, 7200.5)).rowCount).toBe(1);
    expect((await sample('kept', 9, 9, 9)).rowCount).toBe(0); // the same pool and instant again: a no-op
    expect((await sample('deleted', 1, 1, 1)).rowCount).toBe(1);
    await expect(
      c.query(`insert into worker_pool_samples select id, now(), 0, 0, 0 from worker_pools where name = 'kept' union all select id, now(), 0, 0, 0 from worker_pools where name = 'kept'`),
    ).rejects.toThrow(/duplicate key value violates unique constraint "worker_pool_samples_pkey"/);
    for (const [column, figures] of [['pending', [-1, 0, 0]], ['live_instances', [0, -1, 0]], ['seconds_this_month', [0, 0, -0.5]]] as const) {
      await expect(
        c.query(`insert into worker_pool_samples select id, now(), $1, $2, $3 from worker_pools where name = 'kept'`, [...figures]),
      ).rejects.toThrow(`violates check constraint "worker_pool_samples_${column}_check"`);
    }
    await c.query(`delete from worker_pools where name = 'deleted'`);
    const rows = await c.query(`select p.name, s.pending, s.live_instances, s.seconds_this_month from worker_pool_samples s join worker_pools p on p.id = s.worker_pool_id`);
    expect(rows.rows).toEqual([{ name: 'kept', pending: 3, live_instances: 2, seconds_this_month: 7200.5 }]);
  });
  await migrateDown(database.url);
  const left = await withPgClient(database.url, (c) => c.query(`select to_regclass('worker_pool_samples') as t`));
  expect(left.rows).toEqual([{ t: null }]);
});
