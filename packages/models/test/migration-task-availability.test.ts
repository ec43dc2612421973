import { createEmptyDatabase, withPgClient } from '@buildfleet/testdb';
import { migrateDown, migrateUp } from '../src';

let database: { url: string; drop(): Promise<void> };

beforeEach(async () => {
  database = await createEmptyDatabase();
});
afterEach(async () => {
  await database.drop();
});

it('0010 gives existing workers their available:<what> tags and existing pools available:*, and takes them back down', async () => {
  await migrateUp(database.url, { to: '0008-images' });
  await withPgClient(database.url, async (c) => {
    await c.query(`insert into provider_accounts (name, provider_type, sealed_credentials) values ('dummy', 'dummy', '')`);
    await c.query(
      `insert into worker_pools (name, provider_account_id, provider_type, architectures, specifications, tags, capability_tags)
       select n, a.id, 'dummy', '{amd64}', '{"provider_type": "dummy"}', t, c
         from provider_accounts a,
              (values ('plain', '{}'::text[], '{arch:amd64,task:*,worker-type:external}'::text[]),
                      ('declared', '{available:sbuild}'::text[], '{arch:amd64,available:sbuild,task:*,worker-type:external}'::text[])) as p(n, t, c)`,
    );
    // A Celery worker, which needs no token row; the tags come from metadata alike for every type.
    await c.query(
      `insert into workers (name, worker_type, dynamic_metadata, static_metadata, tags)
       values ('w', 'celery', '{"sbuild:available": true, "autopkgtest:available": false, "executor:unshare:available": true,
                      "signing:sign:available:uefi": true, "bad key:available": true}', '{"mmdebstrap:available": true}',
               '{task:sbuild}')`,
    );
  });
  await migrateUp(database.url);
  const read = () =>
    withPgClient(database.url, async (c) => ({
      pools: (await c.query('select name, capability_tags from worker_pools order by name')).rows,
      workers: (await c.query('select tags from workers')).rows,
    }));
  expect(await read()).toEqual({
    pools: [
      { name: 'declared', capability_tags: ['arch:amd64', 'available:sbuild', 'task:*', 'worker-type:external'] },
      { name: 'plain', capability_tags: ['arch:amd64', 'available:*', 'task:*', 'worker-type:external'] },
    ],
    workers: [{ tags: ['available:mmdebstrap', 'available:sbuild', 'available:signing:sign:uefi', 'task:sbuild'] }],
  });
  await migrateDown(database.url, { to: '0008-images' });
  expect(await read()).toEqual({
    pools: [
      { name: 'declared', capability_tags: ['arch:amd64', 'available:sbuild', 'task:*', 'worker-type:external'] },
      { name: 'plain', capability_tags: ['arch:amd64', 'task:*', 'worker-type:external'] },
    ],
    workers: [{ tags: ['task:sbuild'] }],
  });
});
