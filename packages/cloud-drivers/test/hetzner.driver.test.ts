import { startHetznerFake, type HetznerFake } from '@buildfleet/hetzner-fake';
import { type LaunchProgress } from '../src';
import { createServerDirectly, fakeDriver, hetznerSpecification, spec, USER_DATA } from './hetzner';

const TOKEN = 'hz-token-0123456789abcdef0123456789';

describe('HetznerDriver against the Hetzner fake', () => {
  let fake: HetznerFake;
  beforeEach(async () => {
    fake = await startHetznerFake({ token: TOKEN });
  });
  afterEach(() => fake.close());

  const posts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/servers');

  it('creates a server named after the worker with the pool settings, ownership labels and plain-text user data', async () => {
    const { driver } = fakeDriver(fake, { specification: hetznerSpecification({ networks: ['buildfleet'], enable_ipv6: false }) });

    const result = await driver.launch([spec('hz-worker-001')]);

    expect(result.failed).toEqual([]);
    const [server] = fake.state.servers;
    expect(result.launched).toEqual([{ workerName: 'hz-worker-001', instanceId: String(server!.id), data: { 'instance-id': server!.id } }]);
    expect(posts()[0]?.body).toEqual({
      name: 'hz-worker-001',
      server_type: 'cpx22',
      image: 'debian-13',
      location: 'fsn1',
      ssh_keys: ['buildfleet'],
      networks: [1],
      labels: {
        team: 'debian',
        purpose: 'ci',
        'managed-by': 'buildfleet',
        'buildfleet-installation': 'test',
        'buildfleet-pool': 'hetzner-amd64',
        'buildfleet-worker': 'hz-worker-001',
      },
      user_data: USER_DATA,
      public_net: { enable_ipv4: true, enable_ipv6: false },
      start_after_create: true,
    });
    expect(server?.name).toBe('hz-worker-001');
  });

  it('lists every page of its own servers and none of another installation or without labels', async () => {
    const { driver } = fakeDriver(fake);
    const names = Array.from({ length: 55 }, (_, i) => `hz-worker-${String(i).padStart(3, '0')}`);
    const result = await driver.launch(names.map((n) => spec(n)));
    await fakeDriver(fake, { installationId: 'other' }).driver.launch([spec('hz-other-001')]);
    await createServerDirectly(fake, 'hand-made', {});
    await createServerDirectly(fake, 'look-alike', { 'buildfleet-installation': 'test' });

    const listed = await driver.list();

    expect(result.launched).toHaveLength(55);
    expect(listed.map((i) => i.workerName).sort()).toEqual(names);
    expect(listed.every((i) => i.poolName === 'hetzner-amd64' && ['creating', 'running'].includes(i.state) && i.createdAt instanceof Date)).toBe(true);
    const pages = fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/servers' && !('name' in r.query));
    expect(pages.slice(-2).map((r) => r.query.page)).toEqual(['1', '2']);
  });

  it('reports resource_unavailable as a capacity failure without retrying it', async () => {
    const cpx22 = fake.state.serverTypes.find((t) => t.name === 'cpx22')!;
    for (const offer of cpx22.locations) offer.available = false;
    const { driver, waits } = fakeDriver(fake);

    const result = await driver.launch([spec('hz-worker-001')]);

    expect(result.failed).toEqual([
      { workerName: 'hz-worker-001', error: expect.objectContaining({ kind: 'capacity', retryable: false, code: 'resource_unavailable' }) },
    ]);
    expect(posts()).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('classifies an error code named like an Object.prototype member by its status, as any unknown code', async () => {
    fake.failNext({ method: 'POST', path: '/servers', status: 422, code: 'constructor', message: 'odd' });
    const { driver } = fakeDriver(fake);

    const result = await driver.launch([spec('hz-worker-001')]);

    expect(result.failed).toEqual([{ workerName: 'hz-worker-001', error: expect.objectContaining({ kind: 'invalid', code: 'constructor' }) }]);
  });

  it('waits as long as Retry-After says after a 429, then launches', async () => {
    fake.failNext({ method: 'POST', path: '/servers', status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 7 });
    const { driver, waits } = fakeDriver(fake);
    const events: LaunchProgress[] = [];

    const result = await driver.launch([spec('hz-worker-001')], { onProgress: (e) => events.push(e) });

    expect(result.launched).toHaveLength(1);
    expect(waits).toEqual([7000]);
    expect(events.map((e) => e.type)).toEqual(['requested', 'retrying', 'launched']);
    expect(fake.state.servers).toHaveLength(1);
  });

  it('waits for the rate limit bucket to refill when a 429 carries only RateLimit headers', async () => {
    await fake.close();
    // One request per 250 ms; the driver really sleeps here, as the fake refills in real time.
    fake = await startHetznerFake({ token: TOKEN, rateLimit: { limit: 2, windowMs: 500 } });
    const { driver, waits } = fakeDriver(fake, { realTime: true });

    const result = await driver.launch([spec('hz-worker-001'), spec('hz-worker-002')]);

    expect(result.failed).toEqual([]);
    expect(result.launched).toHaveLength(2);
    const throttled = fake.requests.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(waits).toHaveLength(throttled.length);
    expect(waits.every((ms) => ms >= 250)).toBe(true);
  });

  it.each([
    [500, 'server_error'],
    [503, 'service_error'],
  ])('retries after a %s %s and launches exactly one server', async (status, code) => {
    fake.failNext({ method: 'POST', path: '/servers', status, code });
    const { driver, waits } = fakeDriver(fake);

    const result = await driver.launch([spec('hz-worker-001')]);

    expect(result.launched).toHaveLength(1);
    expect(waits).toHaveLength(1);
    expect(fake.state.servers).toHaveLength(1);
  });

  it('treats a name clash with its own server, created concurrently, as that worker’s instance', async () => {
    await fake.close();
    fake = await startHetznerFake({ token: TOKEN, latencyMs: 30 });
    const [one, two] = await Promise.all([
      fakeDriver(fake).driver.launch([spec('hz-worker-001')]),
      fakeDriver(fake).driver.launch([spec('hz-worker-001')]),
    ]);

    expect(fake.state.servers).toHaveLength(1);
    const id = String(fake.state.servers[0]!.id);
    expect([...one!.launched, ...two!.launched].map((l) => l.instanceId)).toEqual([id, id]);
    expect(posts().map((r) => r.status).sort()).toEqual([201, 409]);
    expect([...one!.launched, ...two!.launched].filter((l) => l.data.adopted)).toHaveLength(1);
  });

  it('refuses a name clash with a server it does not own, naming the server', async () => {
    await createServerDirectly(fake, 'hz-worker-001', { team: 'someone-else' });
    const { driver } = fakeDriver(fake);

    const result = await driver.launch([spec('hz-worker-001')]);

    expect(result.failed).toEqual([
      { workerName: 'hz-worker-001', error: expect.objectContaining({ kind: 'invalid', message: expect.stringMatching(/"hz-worker-001" \(id \d+\) exists and is not this installation's/) }) },
    ]);
  });

  it('fails with an invalid error naming a network that does not exist, without creating anything', async () => {
    const { driver } = fakeDriver(fake, { specification: hetznerSpecification({ networks: ['buildfleet', 'no-such-net'] }) });

    const result = await driver.launch([spec('hz-worker-001')]);

    expect(result.failed).toEqual([
      { workerName: 'hz-worker-001', error: expect.objectContaining({ kind: 'invalid', message: expect.stringMatching(/network not found: "no-such-net"/) }) },
    ]);
    expect(posts()).toEqual([]);
  });

  it('looks each network up once for many launches', async () => {
    const { driver } = fakeDriver(fake, { specification: hetznerSpecification({ networks: ['buildfleet'] }) });

    await driver.launch([spec('hz-worker-001'), spec('hz-worker-002')]);
    await driver.launch([spec('hz-worker-003')]);

    expect(fake.requests.filter((r) => r.path === '/v1/networks')).toHaveLength(1);
  });

  it('reports an unreachable API as a transient failure after retrying', async () => {
    const gone = await startHetznerFake({ token: TOKEN });
    await gone.close();
    const { driver, waits } = fakeDriver(gone);

    await expect(driver.list()).rejects.toMatchObject({ kind: 'transient', retryable: true });
    expect(waits).toHaveLength(3);
  });
});
