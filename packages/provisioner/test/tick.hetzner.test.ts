import { startHetznerFake, type HetznerFake } from '@buildfleet/hetzner-fake';
import { type Database, hashTokenKey, linkScopePool, upsertProviderAccount } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { Reason, type TickEvent, tick } from '../src';
import { addPool, addRequest, ageWorker, API_URL, InMemoryDummyCloud, liveWorkers, resetDatabase, tickOptions, useDatabase, workerRows } from './fixtures';

const database = useDatabase();
let db: Database;
const fakes: HetznerFake[] = [];

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function hetznerPool(name: string, overrides: { tags?: string[]; token?: string } = {}): Promise<HetznerFake> {
  const fake = await startHetznerFake({ token: overrides.token ?? `token-${name}-0123456789abcdef` });
  fakes.push(fake);
  await upsertProviderAccount(db, {
    name: `hetzner-${name}`,
    provider_type: 'hetzner',
    configuration: { api_url: fake.url },
    credentials: { api_token: fake.token },
  });
  await addPool(db, {
    name,
    providerAccount: `hetzner-${name}`,
    tags: overrides.tags ?? [],
    specifications: { server_type: 'cpx22', image_name: 'debian-13', location: 'fsn1', debusine_install_source: 'pre-installed' },
  });
  return fake;
}

describe('ticks against the Hetzner fake', () => {
  it('launches through the Hetzner API end to end, and terminates the server once idle', async () => {
    const fake = await hetznerPool('hetzner-cx');
    await addRequest(db);
    const events: TickEvent[] = [];
    const result = await tick(db, tickOptions(new InMemoryDummyCloud(), { onEvent: (e) => events.push(e) }));

    expect(result.launched).toEqual([{ pool: 'hetzner-cx', worker: 'hetzner-cx-001', instanceId: expect.any(String) as string }]);
    const [server] = fake.state.servers;
    expect(server).toMatchObject({ name: 'hetzner-cx-001', labels: { 'buildfleet-pool': 'hetzner-cx', 'buildfleet-worker': 'hetzner-cx-001' } });
    expect((await workerRows(db))[0]!.instance_id).toBe(String(server!.id));
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/servers')!;
    const userData = (create.body as { user_data: string }).user_data;
    expect(userData).toContain(`api-url = ${API_URL}`);
    const key = /\b[0-9a-f]{64}\b/.exec(userData)![0];
    const [token] = await db.sequelize.query<{ hash: string }>(
      `select t.hash from workers w join tokens t on t.id = w.activation_token_id`,
      { type: QueryTypes.SELECT },
    );
    expect(token!.hash).toBe(hashTokenKey(key));
    expect(events.map((e) => (e.type === 'launch' ? e.progress.type : e.type))).toEqual(['decision', 'requested', 'launched']);
    const printed = JSON.stringify([events, result]);
    expect(printed).not.toContain(key);
    expect(printed).not.toContain(fake.token);

    await db.sequelize.query(`delete from work_requests`);
    // Idle beyond max_idle_seconds, and in the last minute of its second paid hour (Hetzner bills started hours).
    await ageWorker(db, 'hetzner-cx-001', 7200 - 60);
    const later = await tick(db, tickOptions(new InMemoryDummyCloud()));
    expect(later.terminated).toEqual([{ pool: 'hetzner-cx', worker: 'hetzner-cx-001' }]);
    expect(fake.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/servers/${server!.id}`)).toBe(true);
    expect(await liveWorkers(db)).toEqual([]);
  });

  it("one pool's 5xx and another's quota error stop neither each other nor a healthy pool; both back off", async () => {
    const failing = await hetznerPool('hz-5xx', { tags: ['site:a'] });
    const quota = await hetznerPool('hz-quota', { tags: ['site:b'] });
    await addPool(db, { name: 'healthy', tags: ['site:c'] });
    failing.failNext({ method: 'POST', path: '/servers', status: 503, code: 'service_unavailable', times: 10 });
    quota.failNext({ method: 'POST', path: '/servers', status: 403, code: 'resource_limit_exceeded', times: 10 });
    for (const site of ['a', 'b', 'c']) await addRequest(db, { workerRequirements: [`site:${site}`] });

    const result = await tick(db, tickOptions(new InMemoryDummyCloud()));
    expect(result.launched.map((l) => l.pool)).toEqual(['healthy']);
    const errors = result.decisions.filter((d) => d.kind === 'error').map((d) => [d.pool, d.reason]);
    expect(errors.sort()).toEqual([
      ['hz-5xx', Reason.LaunchFailed],
      ['hz-quota', Reason.LaunchFailed],
    ]);
    const health = await db.sequelize.query<{ pool: string; kind: string; failures: number; backing_off: boolean }>(
      `select p.name as pool, h.last_error_kind as kind, h.consecutive_failures as failures, h.backoff_until > now() as backing_off
         from worker_pool_health h join worker_pools p on p.id = h.worker_pool_id order by p.name`,
      { type: QueryTypes.SELECT },
    );
    expect(health).toEqual([
      { pool: 'healthy', kind: null, failures: 0, backing_off: null },
      { pool: 'hz-5xx', kind: 'transient', failures: 1, backing_off: true },
      { pool: 'hz-quota', kind: 'quota', failures: 1, backing_off: true },
    ]);
    expect(JSON.stringify(result)).not.toContain(failing.token);

    const posts = () => [failing, quota].map((f) => f.requests.filter((r) => r.method === 'POST').length);
    const before = posts();
    const next = await tick(db, tickOptions(new InMemoryDummyCloud()));
    expect(next.decisions.filter((d) => d.reason === Reason.PoolBackingOff).map((d) => d.pool).sort()).toEqual(['hz-5xx', 'hz-quota']);
    expect(posts()).toEqual(before);
  });

  it('spills over from a Hetzner pool that backs off to the next pool the scope links', async () => {
    const fake = await hetznerPool('hz-first');
    await addPool(db, { name: 'fallback' });
    await linkScopePool(db, { scope: 'debian', pool: 'hz-first', priority: 2 });
    await linkScopePool(db, { scope: 'debian', pool: 'fallback', priority: 1 });
    fake.state.serverTypes.find((t) => t.name === 'cpx22')!.locations.forEach((l) => (l.available = false));
    await addRequest(db);
    const first = await tick(db, tickOptions(new InMemoryDummyCloud()));
    expect(first.decisions).toContainEqual(expect.objectContaining({ reason: Reason.LaunchFailed, pool: 'hz-first' }));
    expect(first.decisions.find((d) => d.reason === Reason.LaunchFailed)!.message).toContain('(capacity)');
    const second = await tick(db, tickOptions(new InMemoryDummyCloud()));
    expect(second.launched.map((l) => l.pool)).toEqual(['fallback']);
  });
});
