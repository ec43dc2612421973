import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import { BuildTimeoutError, buildOnHetzner, type HetznerAccess, imageLabels, plan, type ProgressEvent, readManifest, renderBuildUserData } from '../src';
import { useOutputDir } from './helpers';

const TOKEN = 'hz-image-builder-token-do-not-leak-0123456789';
const output = useOutputDir();
let fake: HetznerFake;

beforeEach(async () => {
  fake = await startHetznerFake({ token: TOKEN });
});
afterEach(() => fake.close());

const access = (): HetznerAccess => ({ token: TOKEN, apiUrl: fake.url, retry: { attempts: 1 } });
const fast = { pollIntervalMs: 10 };

/** Waits for the build server to exist, then powers it off as the provisioning script's power_state would (or leaves it). */
async function whenBuildServerExists(powerOff: boolean): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const server = fake.state.servers[0];
    if (server) {
      if (powerOff) fake.setServerStatus(server.id, 'off');
      return server.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('no build server was created');
}

describe('buildOnHetzner', () => {
  it('creates a server from debian-13 with the build user data, snapshots it when off, and deletes the server', async () => {
    const buildPlan = plan({ target: 'hetzner' });
    const events: ProgressEvent[] = [];
    const [result, serverId] = await Promise.all([
      buildOnHetzner(buildPlan, { ...access(), ...fast, outputDir: output.path, onProgress: (e) => events.push(e) }),
      whenBuildServerExists(true),
    ]);

    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/servers');
    expect(create?.body).toMatchObject({ image: 'debian-13', server_type: 'cx23', location: 'fsn1', user_data: renderBuildUserData(buildPlan), labels: imageLabels(buildPlan) });
    const snapshot = fake.requests.find((r) => r.path === `/v1/servers/${serverId}/actions/create_image`);
    expect(snapshot?.body).toMatchObject({ type: 'snapshot', labels: imageLabels(buildPlan) });

    const image = fake.state.images.find((i) => String(i.id) === result.imageId);
    expect(image).toMatchObject({ type: 'snapshot', status: 'available', labels: { ...imageLabels(buildPlan), 'managed-by': 'buildfleet', 'buildfleet-image': 'debusine-worker' } });
    expect(fake.state.servers).toEqual([]);

    const manifest = await readManifest(join(output.path, 'manifest.json'));
    expect(manifest.images.hetzner).toMatchObject({ id: result.imageId, base_image: 'debian-13', location: 'fsn1' });
    expect(new Set(events.map((e) => e.step))).toEqual(new Set([...buildPlan.publish.map((s) => s.step), 'manifest']));
  });

  it('builds arm64 on cax11 from bookworm\'s debian-12 when asked', async () => {
    const buildPlan = plan({ target: 'hetzner', architecture: 'arm64', release: 'bookworm' });
    await Promise.all([buildOnHetzner(buildPlan, { ...access(), ...fast, location: 'nbg1', outputDir: output.path }), whenBuildServerExists(true)]);
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/servers');
    expect(create?.body).toMatchObject({ image: 'debian-12', server_type: 'cax11', location: 'nbg1' });
    expect(fake.state.images.filter((i) => i.type === 'snapshot').map((i) => i.architecture)).toEqual(['arm']);
  });

  it('deletes the server and leaves no manifest when it never powers off', async () => {
    const buildPlan = plan({ target: 'hetzner' });
    const [outcome] = await Promise.all([
      buildOnHetzner(buildPlan, { ...access(), ...fast, serverOffTimeoutMs: 200, outputDir: output.path }).catch((error: Error) => error),
      whenBuildServerExists(false),
    ]);
    expect(outcome).toBeInstanceOf(BuildTimeoutError);
    expect(fake.state.servers).toEqual([]);
    expect(fake.state.images.filter((i) => i.type === 'snapshot')).toEqual([]);
    expect(existsSync(join(output.path, 'manifest.json'))).toBe(false);
  });

  it('deletes the server when the snapshot cannot be created', async () => {
    const buildPlan = plan({ target: 'hetzner' });
    fake.failNext({ method: 'POST', path: /\/actions\/create_image$/, status: 422, code: 'invalid_input', message: 'no snapshots today' });
    const [outcome] = await Promise.all([
      buildOnHetzner(buildPlan, { ...access(), ...fast, outputDir: output.path }).catch((error: Error) => error),
      whenBuildServerExists(true),
    ]);
    expect((outcome as Error).message).toMatch(/create_image: invalid_input: no snapshots today/);
    expect(fake.state.servers).toEqual([]);
  });

  it('deletes the server when aborted, and rejects with the abort reason', async () => {
    const buildPlan = plan({ target: 'hetzner' });
    const controller = new AbortController();
    const reason = new Error('user pressed Ctrl-C');
    const [outcome] = await Promise.all([
      buildOnHetzner(buildPlan, { ...access(), ...fast, outputDir: output.path, signal: controller.signal }).catch((error: unknown) => error),
      whenBuildServerExists(false).then(() => controller.abort(reason)),
    ]);
    expect(outcome).toBe(reason);
    expect(fake.state.servers).toEqual([]);
  });

  it('deletes an unfinished snapshot and the server when aborted while snapshotting', async () => {
    await fake.close();
    fake = await startHetznerFake({ token: TOKEN, actionDurationMs: 300 });
    const buildPlan = plan({ target: 'hetzner' });
    const controller = new AbortController();
    const outcome = buildOnHetzner(buildPlan, {
      ...access(),
      // The server stays locked by create_server for 300 ms: "locked" is retried.
      retry: { attempts: 20, baseDelayMs: 50 },
      ...fast,
      outputDir: output.path,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.step === 'create_image') controller.abort(new Error('stop'));
      },
    }).catch((error: unknown) => error);
    await whenBuildServerExists(true);
    expect(await outcome).toEqual(new Error('stop'));
    expect(fake.state.images.filter((i) => i.type === 'snapshot')).toEqual([]);
    expect(fake.state.servers).toEqual([]);
  });

  it('never puts the token into an error', async () => {
    const outcome = await buildOnHetzner(plan({ target: 'hetzner' }), { ...access(), token: `${TOKEN}-wrong`, outputDir: output.path }).catch((error: Error) => error);
    expect((outcome as Error).message).toMatch(/unauthorized/);
    expect(`${(outcome as Error).message} ${JSON.stringify(outcome)}`).not.toContain(TOKEN);
  });
});
