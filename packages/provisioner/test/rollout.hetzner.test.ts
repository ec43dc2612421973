import { startHetznerFake, type HetznerFake } from '@buildfleet/hetzner-fake';
import { connectedSinceSql, type Database, upsertProviderAccount } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { launchWorkers, type TickResult, tick, updatePool } from '../src';
import { addPool, addRequest, connectWorker, InMemoryDummyCloud, resetDatabase, tickOptions, useDatabase } from './fixtures';

/**
 * Rolling replacement end to end: real ticks, the Hetzner driver against the Hetzner fake
 * (which refuses servers of an image it does not hold), and worker rows whose instances
 * "boot" when the test connects them.
 */

const database = useDatabase();
let db: Database;
let fake: HetznerFake;
const options = () => tickOptions(new InMemoryDummyCloud());

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  fake = await startHetznerFake({ token: 'token-rollout-0123456789abcdef' });
  await upsertProviderAccount(db, {
    name: 'hetzner-main',
    provider_type: 'hetzner',
    configuration: { api_url: fake.url },
    credentials: { api_token: fake.token },
  });
  await addPool(db, {
    name: 'hz',
    providerAccount: 'hetzner-main',
    specifications: { server_type: 'cpx22', image_name: 'debian-13', location: 'fsn1', debusine_install_source: 'pre-installed' },
    limits: { max_active_instances: 6, max_surge: 1 },
  });
  // Five instances of debian-13, connected; hz-001 and hz-003 run work.
  await launchWorkers(db, 'hz', 5, options());
  for (const n of [1, 2, 3, 4, 5]) await connectWorker(db, `hz-00${n}`);
  for (const worker of ['hz-001', 'hz-003']) {
    const id = await addRequest(db);
    await db.sequelize.query(
      `update work_requests set status = 'running', started_at = now(), worker_id = (select id from workers where name = $2) where id = $1`,
      { bind: [id, worker] },
    );
  }
});
afterEach(() => fake.close());

/** A snapshot in the fake's project, as `image build` leaves it; its id. */
async function snapshot(): Promise<string> {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  };
  const { server } = await call<{ server: { id: number } }>('POST', '/servers', { name: 'build', server_type: 'cpx22', image: 'debian-13', location: 'fsn1' });
  const { image } = await call<{ image: { id: number } }>('POST', `/servers/${server.id}/actions/create_image`, { type: 'snapshot' });
  await call('DELETE', `/servers/${server.id}`);
  await call('GET', '/servers'); // lets the actions finish
  return String(image.id);
}

interface Row {
  name: string;
  image_id: string;
  connected: boolean;
  busy: boolean;
}

const liveRows = () =>
  db.sequelize.query<Row>(
    `select w.name, w.image_id, ${connectedSinceSql('w.id')} is not null as connected,
            exists (select 1 from work_requests r where r.worker_id = w.id and r.status = 'running') as busy
       from workers w where w.instance_created_at is not null order by w.name`,
    { type: QueryTypes.SELECT },
  );

const serversAtProvider = () => fake.state.servers.filter((s) => s.name.startsWith('hz-') && s.status !== 'deleting');

describe('rolling replacement after a pool moves to another image', () => {
  it('replaces idle instances first, busy ones once their work is done, within max_surge and max_active_instances', async () => {
    expect((await liveRows()).map((r) => r.image_id)).toEqual(Array(5).fill('debian-13'));
    const image = await snapshot();
    const moved = await updatePool(db, 'hz', { image });
    expect(moved.decision?.message).toBe(`pool hz moves from image debian-13 to ${image}, set by an admin; 5 running instances will be replaced, idle ones first`);

    const timeline: string[] = [];
    for (let n = 1; n <= 12; n++) {
      if (n === 8) {
        // The busy instances finish their work.
        await db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where status = 'running'`);
        timeline.push('work of hz-001 and hz-003 completes');
      }
      const busyBefore = new Set((await liveRows()).filter((r) => r.busy).map((r) => r.name));
      const result: TickResult = await tick(db, options());
      for (const { worker } of result.terminated) expect(busyBefore).not.toContain(worker);
      const rows = await liveRows();
      const booting = rows.filter((r) => r.image_id === image && !r.connected).length;
      expect(serversAtProvider().length).toBeLessThanOrEqual(6);
      expect(rows.length).toBeLessThanOrEqual(6);
      expect(booting).toBeLessThanOrEqual(1);
      const old = rows.filter((r) => r.image_id === 'debian-13').map((r) => r.name);
      const events = [
        ...result.terminated.map((t) => `terminate ${t.worker}`),
        ...result.launched.map((l) => `launch ${l.worker}`),
      ];
      if (!events.length && !old.length) break;
      timeline.push(`tick ${n}: ${events.join(', ') || 'nothing'}; live ${rows.length}, old image: ${old.join(' ') || 'none'}`);
      // What launched boots and connects before the next tick.
      for (const row of rows) if (!row.connected) await connectWorker(db, row.name);
    }
    expect(timeline).toEqual([
      'tick 1: launch hz-006; live 6, old image: hz-001 hz-002 hz-003 hz-004 hz-005',
      'tick 2: terminate hz-002, launch hz-002; live 6, old image: hz-001 hz-003 hz-004 hz-005',
      'tick 3: terminate hz-004, launch hz-004; live 6, old image: hz-001 hz-003 hz-005',
      'tick 4: terminate hz-005, launch hz-005; live 6, old image: hz-001 hz-003',
      'tick 5: nothing; live 6, old image: hz-001 hz-003',
      'tick 6: nothing; live 6, old image: hz-001 hz-003',
      'tick 7: nothing; live 6, old image: hz-001 hz-003',
      'work of hz-001 and hz-003 completes',
      'tick 8: terminate hz-001, launch hz-001; live 6, old image: hz-003',
      'tick 9: terminate hz-003; live 5, old image: none',
    ]);
    const servers = serversAtProvider();
    expect(servers.map((s) => String(s.image?.id)).sort()).toEqual(Array(5).fill(image));
    const decided = await db.sequelize.query<{ reason: string; message: string }>(
      `select reason, message from provisioning_decisions where reason like 'Image%' order by id`,
      { type: QueryTypes.SELECT },
    );
    const short = (message: string) => message.replace(/^(terminate \S+|launch 1 in hz: image \d+, to replace outdated \S+).*$/, '$1');
    expect(decided.map((d) => `${d.reason}: ${short(d.message)}`)).toEqual([
      `ImageSetByAdmin: ${moved.decision!.message}`,
      `ImageOutdated: launch 1 in hz: image ${image}, to replace outdated hz-002`,
      'ImageOutdated: terminate hz-002',
      `ImageOutdated: launch 1 in hz: image ${image}, to replace outdated hz-004`,
      'ImageOutdated: terminate hz-004',
      `ImageOutdated: launch 1 in hz: image ${image}, to replace outdated hz-005`,
      'ImageOutdated: terminate hz-005',
      `ImageOutdated: launch 1 in hz: image ${image}, to replace outdated hz-001`,
      // Busy when its replacement connected: it drains, so it gets no new work and goes idle.
      `ImageOutdated: drain hz-001 in hz: launched from image debian-13, the pool now launches ${image} and its replacement has connected; it finishes its work, takes no more, and is terminated once idle`,
      'ImageOutdated: terminate hz-001',
      `ImageOutdated: launch 1 in hz: image ${image}, to replace outdated hz-003`,
      'ImageOutdated: terminate hz-003',
    ]);
  });

  it('keeps every old instance and holds with ImageLaunchFailing while the new image cannot launch', async () => {
    await updatePool(db, 'hz', { image: '987654' }); // no such image at the provider
    const first = await tick(db, options());
    expect(first.terminated).toEqual([]);
    expect(first.decisions.map((d) => `${d.kind} ${d.reason}`)).toEqual(['launch ImageOutdated', 'error LaunchFailed']);
    expect(first.decisions[1]!.message).toContain("image '987654' not found");
    const second = await tick(db, options());
    expect(second.decisions.map((d) => `${d.kind} ${d.reason}`)).toEqual(['hold ImageLaunchFailing']);
    expect(second.decisions[0]!.message).toMatch(/^not replacing 5 outdated instances in hz: launches of image 987654 fail, 1 failed launch attempt \(invalid\)/);
    expect((await liveRows()).map((r) => `${r.name} ${r.image_id}`)).toEqual(['hz-001', 'hz-002', 'hz-003', 'hz-004', 'hz-005'].map((w) => `${w} debian-13`));
    expect(serversAtProvider()).toHaveLength(5);
  });
});
