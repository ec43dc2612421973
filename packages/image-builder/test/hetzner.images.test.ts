import { type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import { type BuildPlan, imageLabels, listImages, plan, pruneImages } from '../src';

const TOKEN = 'hz-prune-token-0123456789abcdef';
let fake: HetznerFake;
let now = 0;

const NOTHING_IN_USE = { pools: {}, instances: {} };
const account = () => ({ target: 'hetzner' as const, token: TOKEN, apiUrl: fake.url, retry: { attempts: 1 } });

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A snapshot taken at `at` with `labels`, through the API as a build would make it. */
async function snapshot(labels: Record<string, string>, at: string): Promise<string> {
  now = Date.parse(at);
  const { server } = await api<{ server: { id: number } }>('POST', '/servers', { name: `s-${now}`, server_type: 'cx23', image: 'debian-13', location: 'fsn1' });
  const { image } = await api<{ image: { id: number } }>('POST', `/servers/${server.id}/actions/create_image`, { type: 'snapshot', labels });
  await api('GET', '/servers'); // lets the action finish
  return String(image.id);
}

const labelsOf = (buildPlan: BuildPlan) => imageLabels(buildPlan);

describe('listImages and pruneImages on Hetzner', () => {
  const ids: Record<string, string> = {};

  beforeEach(async () => {
    now = Date.parse('2026-11-01T00:00:00Z');
    fake = await startHetznerFake({ token: TOKEN, clock: () => now });
    const trixie = labelsOf(plan({ target: 'hetzner' }));
    const arm = labelsOf(plan({ target: 'hetzner', architecture: 'arm64' }));
    ids.oldest = await snapshot(trixie, '2026-11-01T00:00:00Z');
    ids.arm = await snapshot(arm, '2026-11-02T00:00:00Z');
    ids.middle = await snapshot(trixie, '2026-11-03T00:00:00Z');
    ids.newest = await snapshot(trixie, '2026-11-04T00:00:00Z');
    ids.foreign = await snapshot({ team: 'web' }, '2026-11-05T00:00:00Z');
  });
  afterEach(() => fake.close());

  it('lists only buildfleet debusine-worker snapshots, newest first', async () => {
    const images = await listImages(account());
    expect(images.map((i) => i.id)).toEqual([ids.newest, ids.middle, ids.arm, ids.oldest]);
    expect(images[0]).toMatchObject({ state: 'available', createdAt: '2026-11-04T00:00:00Z', labels: { 'buildfleet-architecture': 'amd64' } });
  });

  it('follows pagination', async () => {
    for (let day = 10; day < 60; day++) await snapshot(labelsOf(plan({ target: 'hetzner' })), new Date(Date.parse('2026-12-01T00:00:00Z') + day * 3_600_000).toISOString());
    expect(await listImages(account())).toHaveLength(54);
    expect(fake.requests.filter((r) => r.path === '/v1/images').map((r) => r.query.page)).toEqual(['1', '2']);
  });

  it('with dryRun deletes nothing', async () => {
    const result = await pruneImages(account(), { keep: 2, dryRun: true, inUse: NOTHING_IN_USE });
    expect(result.deleted.map((i) => i.id)).toEqual([ids.oldest]);
    expect(fake.state.images.filter((i) => i.type === 'snapshot')).toHaveLength(5);
  });

  it('keeps the newest N per release and architecture and deletes the rest', async () => {
    const result = await pruneImages(account(), { keep: 1, inUse: NOTHING_IN_USE });
    expect(result.deleted.map((i) => i.id)).toEqual([ids.middle, ids.oldest]);
    expect(result.kept.map((i) => i.id)).toEqual([ids.newest, ids.arm]);
    expect(fake.state.images.filter((i) => i.type === 'snapshot').map((i) => String(i.id)).sort()).toEqual([ids.arm, ids.newest, ids.foreign].sort());
  });

  it('keeps the image a pool names and the one instances still run, whatever their age, saying why', async () => {
    const inUse = { pools: { [ids.oldest!]: ['hetzner-cx32'] }, instances: { [ids.middle!]: 3 } };
    const result = await pruneImages(account(), { keep: 1, inUse });
    expect(result.deleted).toEqual([]);
    expect(result.kept.map((i) => [i.id, i.keptBecause])).toEqual([
      [ids.newest, ['newest 1']],
      [ids.middle, ['running on 3 instances']],
      [ids.arm, ['newest 1']],
      [ids.oldest, ['in use by pool hetzner-cx32']],
    ]);
    expect(fake.state.images.filter((i) => i.type === 'snapshot')).toHaveLength(5);

    const instanceGone = await pruneImages(account(), { keep: 1, inUse: { ...inUse, instances: {} } });
    expect(instanceGone.deleted.map((i) => i.id)).toEqual([ids.middle]);
  });

  it('reports a deletion that fails and still deletes the others', async () => {
    fake.failNext({ method: 'DELETE', path: `/images/${ids.middle}`, status: 423, code: 'locked', message: 'image is locked' });
    const result = await pruneImages(account(), { keep: 1, inUse: NOTHING_IN_USE });
    expect(result.deleted.map((i) => i.id)).toEqual([ids.oldest]);
    expect(result.failed).toEqual([{ image: expect.objectContaining({ id: ids.middle }), error: expect.stringContaining('locked') }]);
  });
});
