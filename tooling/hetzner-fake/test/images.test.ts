import { type HetznerFake } from '../src';
import { client, serverBody, withFake } from './helpers';

let now: number;
let fake: HetznerFake;
let api: ReturnType<typeof client>;

beforeEach(async () => {
  now = Date.UTC(2026, 0, 10, 12, 0, 0);
  fake = await withFake({ clock: () => now, actionDurationMs: 5_000, serverBootMs: 20_000 });
  api = client(fake);
});
afterEach(() => fake.close());

/** The image builder's path on Hetzner: create, wait for off, snapshot, wait, delete. */
async function builtServer(): Promise<number> {
  const { body } = await api('POST', '/servers', serverBody({ name: 'build-trixie', server_type: 'cx22', image: 'debian-13' }));
  now += 20_000;
  fake.setServerStatus(body.server.id, 'off');
  return body.server.id;
}

describe('create_image', () => {
  it('keeps the action running and the image creating until the action succeeds, then makes it available', async () => {
    const serverId = await builtServer();
    const res = await api('POST', `/servers/${serverId}/actions/create_image`, {
      type: 'snapshot',
      description: 'debusine-worker trixie amd64',
      labels: { 'buildfleet-image': 'trixie-amd64' },
    });
    expect(res.status).toBe(201);
    const { image, action } = res.body;
    expect(action).toMatchObject({ command: 'create_image', status: 'running', resources: [{ id: serverId, type: 'server' }] });
    expect(image).toMatchObject({
      type: 'snapshot',
      status: 'creating',
      name: null,
      description: 'debusine-worker trixie amd64',
      created_from: { id: serverId, name: 'build-trixie' },
      bound_to: null,
      architecture: 'x86',
      disk_size: 40,
      os_flavor: 'debian',
      labels: { 'buildfleet-image': 'trixie-amd64' },
    });

    now += 4_999;
    expect((await api('GET', `/actions/${action.id}`)).body.action.status).toBe('running');
    expect((await api('GET', `/images/${image.id}`)).body.image.status).toBe('creating');
    expect((await api('GET', `/servers/${serverId}`)).body.server.locked).toBe(true);

    now += 1;
    const done = (await api('GET', `/actions?id=${action.id}`)).body.actions[0];
    expect(done).toMatchObject({ status: 'success', progress: 100, error: null });
    expect(done.finished).toBe('2026-01-10T12:00:25Z');
    expect((await api('GET', `/images/${image.id}`)).body.image.status).toBe('available');

    const labelled = await api('GET', '/images?type=snapshot&label_selector=buildfleet-image%3Dtrixie-amd64');
    expect(labelled.body.images.map((i: { id: number }) => i.id)).toEqual([image.id]);
  });

  it('answers 423 locked to a second action while the first still runs', async () => {
    const serverId = await builtServer();
    await api('POST', `/servers/${serverId}/actions/create_image`, { type: 'snapshot' });
    const res = await api('POST', `/servers/${serverId}/actions/create_image`, { type: 'snapshot' });
    expect(res.status).toBe(423);
    expect(res.body.error.code).toBe('locked');
  });

  it('rejects an image type other than snapshot or backup', async () => {
    const serverId = await builtServer();
    const res = await api('POST', `/servers/${serverId}/actions/create_image`, { type: 'system' });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual([{ name: 'type', messages: ["must be 'snapshot' or 'backup'"] }]);
  });

  it('keeps a snapshot after its server is deleted but drops a backup with it', async () => {
    const serverId = await builtServer();
    const snapshot = (await api('POST', `/servers/${serverId}/actions/create_image`, { type: 'snapshot' })).body.image;
    now += 5_000;
    const backup = (await api('POST', `/servers/${serverId}/actions/create_image`, { type: 'backup' })).body.image;
    expect(backup.bound_to).toBe(serverId);
    now += 5_000;
    await api('DELETE', `/servers/${serverId}`);
    now += 5_000;
    expect((await api('GET', `/images/${snapshot.id}`)).status).toBe(200);
    expect((await api('GET', `/images/${backup.id}`)).status).toBe(404);
  });

  it('lets a server be created from a finished snapshot only on a type with a large enough disk', async () => {
    const { body } = await api('POST', '/servers', serverBody({ name: 'big', server_type: 'cx42' }));
    now += 20_000;
    const snapshot = (await api('POST', `/servers/${body.server.id}/actions/create_image`, {})).body.image;
    now += 5_000;
    const small = await api('POST', '/servers', serverBody({ name: 'small', server_type: 'cx22', image: snapshot.id }));
    expect(small.status).toBe(422);
    expect(small.body.error.details.fields[0].name).toBe('image');
    const large = await api('POST', '/servers', serverBody({ name: 'large', server_type: 'cx42', image: snapshot.id }));
    expect(large.status).toBe(201);
    expect(large.body.server.image.id).toBe(snapshot.id);
  });
});

describe('images', () => {
  it('lists the Debian system images by name, one per architecture', async () => {
    const res = await api('GET', '/images?type=system&name=debian-12');
    expect(res.body.images.map((i: { architecture: string }) => i.architecture)).toEqual(['x86', 'arm']);
    const arm = await api('GET', '/images?name=debian-13&architecture=arm');
    expect(arm.body.images).toEqual([expect.objectContaining({ id: 310554931, os_version: '13', status: 'available' })]);
  });

  it('deletes a snapshot with 204 and refuses to delete a system image', async () => {
    const serverId = await builtServer();
    const snapshot = (await api('POST', `/servers/${serverId}/actions/create_image`, {})).body.image;
    now += 5_000;
    const deleted = await api('DELETE', `/images/${snapshot.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await api('GET', `/images/${snapshot.id}`)).status).toBe(404);
    expect((await api('DELETE', '/images/310554929')).status).toBe(422);
  });
});

describe('actions', () => {
  it('lists only the actions asked for by id and requires at least one id', async () => {
    const created = (await api('POST', '/servers', serverBody())).body;
    const listed = await api('GET', `/actions?id=${created.action.id}&id=${created.next_actions[0].id}&id=999999`);
    expect(listed.body.actions.map((a: { command: string }) => a.command)).toEqual(['create_server', 'start_server']);
    expect((await api('GET', '/actions')).status).toBe(422);
  });

  it('boots a created server from initializing to running after serverBootMs', async () => {
    const { body } = await api('POST', '/servers', serverBody());
    now += 19_999;
    expect((await api('GET', `/servers/${body.server.id}`)).body.server.status).toBe('initializing');
    now += 1;
    expect((await api('GET', `/servers/${body.server.id}`)).body.server.status).toBe('running');
  });
});

describe('catalogue', () => {
  it.each([
    ['/server_types?name=cax11', 'server_types', { name: 'cax11', architecture: 'arm', cores: 2, memory: 4, disk: 40 }],
    ['/server_types/104', 'server_type', { name: 'cx22', deprecated: true }],
    ['/locations?name=hel1', 'locations', { name: 'hel1', city: 'Helsinki', network_zone: 'eu-central' }],
    ['/networks?name=buildfleet', 'networks', { id: 1, ip_range: '10.0.0.0/16' }],
    ['/ssh_keys?name=buildfleet', 'ssh_keys', { id: 1, name: 'buildfleet' }],
  ])('answers GET %s', async (path, key, expected) => {
    const res = await api('GET', path);
    expect(res.status).toBe(200);
    const found = Array.isArray(res.body[key]) ? res.body[key] : [res.body[key]];
    expect(found).toEqual([expect.objectContaining(expected)]);
  });

  it('lists the seeded server types with per-location availability', async () => {
    const res = await api('GET', '/server_types');
    expect(res.body.server_types.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['cx22', 'cx32', 'cx42', 'cpx11', 'cax11']),
    );
    expect(res.body.server_types[0].locations.map((l: { name: string }) => l.name)).toEqual(['fsn1', 'nbg1', 'hel1']);
  });
});
