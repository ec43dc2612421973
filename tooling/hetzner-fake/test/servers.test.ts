import { type HetznerFake } from '../src';
import { client, serverBody, withFake } from './helpers';

let fake: HetznerFake;
let api: ReturnType<typeof client>;

beforeEach(async () => {
  fake = await withFake();
  api = client(fake);
});
afterEach(() => fake.close());

describe('server lifecycle', () => {
  it('creates, finds by label selector, gets and deletes a server', async () => {
    const created = await api('POST', '/servers', serverBody());
    expect(created.status).toBe(201);
    expect(created.body.server).toMatchObject({
      name: 'worker-1',
      status: 'initializing',
      server_type: { name: 'cx22', architecture: 'x86', cores: 2, memory: 4, disk: 40 },
      location: { name: 'fsn1', network_zone: 'eu-central' },
      image: { name: 'debian-13', architecture: 'x86', type: 'system' },
      labels: { 'managed-by': 'buildfleet', 'buildfleet-pool': 'amd64' },
      primary_disk_size: 40,
    });
    expect(created.body.action).toMatchObject({ command: 'create_server', status: 'running', progress: 0, finished: null });
    expect(created.body.next_actions).toEqual([expect.objectContaining({ command: 'start_server', status: 'running' })]);
    expect(created.body.root_password).toBeNull();
    const id: number = created.body.server.id;

    await api('POST', '/servers', serverBody({ name: 'other', labels: { 'managed-by': 'someone-else' } }));
    const listed = await api('GET', '/servers?label_selector=managed-by%3Dbuildfleet,buildfleet-pool');
    expect(listed.body.servers.map((s: { id: number }) => s.id)).toEqual([id]);

    const got = await api('GET', `/servers/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.server).toMatchObject({ id, status: 'running', locked: false });

    const deleted = await api('DELETE', `/servers/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.action).toMatchObject({ command: 'delete_server', resources: [{ id, type: 'server' }] });
    const gone = await api('GET', `/servers/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'not_found', details: {} });
  });

  it('answers 404 not_found when deleting a server that does not exist', async () => {
    const res = await api('DELETE', '/servers/424242');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('returns a root password only when no SSH key is given', async () => {
    const res = await api('POST', '/servers', serverBody({ ssh_keys: undefined }));
    expect(typeof res.body.root_password).toBe('string');
  });

  it('resolves an image name to the variant of the server type architecture', async () => {
    const res = await api('POST', '/servers', serverBody({ server_type: 'cax11' }));
    expect(res.body.server.image).toMatchObject({ id: 310554931, name: 'debian-13', architecture: 'arm' });
  });

  it('attaches networks given by id and leaves public IPs out when disabled', async () => {
    const res = await api('POST', '/servers', serverBody({ networks: [1], public_net: { enable_ipv4: false, enable_ipv6: false } }));
    expect(res.status).toBe(201);
    expect(res.body.server.public_net).toMatchObject({ ipv4: null, ipv6: null });
    expect(res.body.server.private_net).toEqual([expect.objectContaining({ network: 1, ip: '10.0.0.2' })]);
  });

  it('gives servers private IPs from the first subnet of a seeded network', async () => {
    const seeded = await withFake({ seed: { networks: [{ name: 'ci', ip_range: '192.168.10.0/24' }] } });
    const res = await client(seeded)('POST', '/servers', serverBody({ networks: [1] }));
    await seeded.close();
    expect(res.body.server.private_net[0].ip).toBe('192.168.10.2');
  });

  it('stays off after creation when start_after_create is false', async () => {
    const res = await api('POST', '/servers', serverBody({ start_after_create: false }));
    expect(res.body.next_actions).toEqual([]);
    expect((await api('GET', `/servers/${res.body.server.id}`)).body.server.status).toBe('off');
  });

  it('rejects a second server with the same name with 409 uniqueness_error', async () => {
    await api('POST', '/servers', serverBody());
    const res = await api('POST', '/servers', serverBody());
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: { code: 'uniqueness_error', message: 'server name is already used', details: { fields: [{ name: 'name' }] } },
    });
    expect(fake.state.servers).toHaveLength(1);
  });

  it('reports every invalid field at once with 422 invalid_input and writes nothing', async () => {
    const res = await api(
      'POST',
      '/servers',
      serverBody({ name: 'not_a_hostname', server_type: 'cx999', labels: { 'hetzner.cloud/x': 'y' }, networks: ['buildfleet'] }),
    );
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_input');
    expect(res.body.error.details.fields.map((f: { name: string }) => f.name).sort()).toEqual([
      'labels',
      'name',
      'networks',
      'server_type',
    ]);
    expect(res.body.error.details.fields).toContainEqual({ name: 'server_type', messages: ["server type 'cx999' not found"] });
    expect(fake.state.servers).toEqual([]);
  });

  it.each([
    ['name missing', { name: undefined }, 'name'],
    ['image unknown', { image: 'windows-95' }, 'image'],
    ['ssh key unknown', { ssh_keys: ['nobody'] }, 'ssh_keys'],
    ['location unknown', { location: 'mars1' }, 'location'],
    ['user_data over 32 KiB', { user_data: 'x'.repeat(32 * 1024 + 1) }, 'user_data'],
    ['unknown field', { datacenter: 'fsn1-dc14' }, 'datacenter'],
    ['no public net and no network', { public_net: { enable_ipv4: false, enable_ipv6: false } }, 'public_net'],
  ])('rejects a create with %s, naming the field', async (_case, overrides, field) => {
    const res = await api('POST', '/servers', serverBody(overrides));
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual([expect.objectContaining({ name: field })]);
  });

  it('answers 412 resource_unavailable when the type is sold out in the location', async () => {
    const cx22 = fake.state.serverTypes.find((t) => t.name === 'cx22');
    const fsn1 = cx22?.locations.find((l) => l.name === 'fsn1');
    if (fsn1) fsn1.available = false;
    const res = await api('POST', '/servers', serverBody());
    expect(res.status).toBe(412);
    expect(res.body.error.code).toBe('resource_unavailable');
  });

  it('answers 400 json_error for a body that is not JSON', async () => {
    const res = await fetch(`${fake.url}/servers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.token}` },
      body: '{name:',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('json_error');
  });
});

describe('authentication', () => {
  it.each([
    ['a wrong token', { Authorization: 'Bearer wrong' }],
    ['no token', {}],
  ])('answers 401 unauthorized to %s', async (_case, headers: Record<string, string>) => {
    const res = await fetch(`${fake.url}/servers`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'unable to authenticate', details: {} } });
  });

  it('never records the token in the request log', async () => {
    await api('GET', '/servers');
    expect(JSON.stringify(fake.requests)).not.toContain(fake.token);
  });
});

describe('listing servers', () => {
  async function createMany(count: number): Promise<void> {
    for (let i = 1; i <= count; i++) {
      await api('POST', '/servers', serverBody({ name: `w-${i}`, labels: { pool: i % 2 === 0 ? 'even' : 'odd' } }));
    }
  }

  it('pages with per_page 25 by default and reports pagination meta and Link', async () => {
    await createMany(30);
    const first = await api('GET', '/servers');
    expect(first.body.servers).toHaveLength(25);
    expect(first.body.meta.pagination).toEqual({
      page: 1,
      per_page: 25,
      previous_page: null,
      next_page: 2,
      last_page: 2,
      total_entries: 30,
    });
    expect(first.headers.get('link')).toContain('rel="next"');
    const second = await api('GET', '/servers?page=2');
    expect(second.body.servers.map((s: { name: string }) => s.name)).toEqual(['w-26', 'w-27', 'w-28', 'w-29', 'w-30']);
    expect(second.body.meta.pagination).toMatchObject({ page: 2, previous_page: 1, next_page: null, last_page: 2 });
  });

  it('walks every page with per_page and finds each server once', async () => {
    await createMany(7);
    const names: string[] = [];
    for (let page: number | null = 1; page !== null; ) {
      const res = await api('GET', `/servers?per_page=3&page=${page}`);
      names.push(...res.body.servers.map((s: { name: string }) => s.name));
      page = res.body.meta.pagination.next_page;
    }
    expect(names).toEqual(['w-1', 'w-2', 'w-3', 'w-4', 'w-5', 'w-6', 'w-7']);
  });

  it('rejects per_page above 50 with invalid_input', async () => {
    const res = await api('GET', '/servers?per_page=51');
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0].name).toBe('per_page');
  });

  it.each([
    ['pool=even', ['w-2', 'w-4']],
    ['pool==odd', ['w-1', 'w-3']],
    ['pool!=even', ['w-1', 'w-3']],
    ['pool in (even,odd),!missing', ['w-1', 'w-2', 'w-3', 'w-4']],
    ['pool notin (odd)', ['w-2', 'w-4']],
    ['!pool', []],
    ['pool', ['w-1', 'w-2', 'w-3', 'w-4']],
  ])('filters by label_selector %s', async (selector, names) => {
    await createMany(4);
    const res = await api('GET', `/servers?label_selector=${encodeURIComponent(selector)}`);
    expect(res.body.servers.map((s: { name: string }) => s.name)).toEqual(names);
  });

  it('rejects an unparsable label selector with invalid_input', async () => {
    const res = await api('GET', `/servers?label_selector=${encodeURIComponent('a==b==c')}`);
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0].name).toBe('label_selector');
  });

  it('filters by name and by status', async () => {
    await createMany(2);
    const off = fake.state.servers[1];
    if (off) fake.setServerStatus(off.id, 'off');
    expect((await api('GET', '/servers?name=w-1')).body.servers.map((s: { name: string }) => s.name)).toEqual(['w-1']);
    expect((await api('GET', '/servers?status=off')).body.servers.map((s: { name: string }) => s.name)).toEqual(['w-2']);
  });
});

describe('power actions', () => {
  it('powers a server off and on again through stop_server and start_server', async () => {
    const { body } = await api('POST', '/servers', serverBody());
    const id: number = body.server.id;
    const off = await api('POST', `/servers/${id}/actions/poweroff`);
    expect(off.status).toBe(201);
    expect(off.body.action).toMatchObject({ command: 'stop_server', status: 'running' });
    expect((await api('GET', `/servers/${id}`)).body.server.status).toBe('off');
    const on = await api('POST', `/servers/${id}/actions/poweron`);
    expect(on.body.action.command).toBe('start_server');
    expect((await api('GET', `/servers/${id}`)).body.server.status).toBe('running');
  });

  it('reports a server as off once setServerStatus says it powered itself off', async () => {
    const { body } = await api('POST', '/servers', serverBody());
    fake.setServerStatus(body.server.id, 'off');
    expect((await api('GET', `/servers/${body.server.id}`)).body.server.status).toBe('off');
  });
});
