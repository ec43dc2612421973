import { join } from 'node:path';
import { type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import { imageLabels, plan } from '@buildfleet/image-builder';
import { type ImageBuildResult } from '../src/commands/image/build';
import { type ImagePruneResult } from '../src/commands/image/prune';
import { cli, cliJson, hetznerAccount, SECRETS, useCliDatabase } from './helpers';

/**
 * A command some of whose work failed still prints its documented --json result (checked
 * against the committed schema by cliJson), then exits non-zero. `pool launch` and
 * `pool terminate` are covered in secrets.test.ts.
 */

const db = useCliDatabase();
let fake: HetznerFake;

beforeAll(async () => {
  fake = await startHetznerFake({ token: SECRETS.hetznerToken });
  await cli(`account create --data ${await db.yamlFile(hetznerAccount({ configuration: { api_url: fake.url } }))}`);
});
afterAll(() => fake.close());

/** A snapshot with buildfleet's labels, as a build leaves it. */
async function snapshot(description: string): Promise<void> {
  const headers = { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' };
  const server = await fetch(`${fake.url}/servers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: description, server_type: 'cx23', image: 'debian-13', location: 'fsn1' }),
  }).then((r) => r.json() as Promise<{ server: { id: number } }>);
  await fetch(`${fake.url}/servers/${server.server.id}/actions/create_image`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ type: 'snapshot', description, labels: imageLabels(plan({ target: 'hetzner' })) }),
  });
}

it('image prune --json prints what it deleted and what failed when one deletion fails, and exits 1', async () => {
  for (const name of ['old-1', 'old-2', 'new']) await snapshot(name);
  fake.failNext({ method: 'DELETE', path: /^\/v1\/images\/\d+$/, status: 423, code: 'protected' });

  const { exitCode, json } = await cliJson<ImagePruneResult>('image prune --target hetzner --account hetzner-main --keep 1');

  expect(exitCode).toBe(1);
  expect(json.deleted).toHaveLength(1);
  expect(json.failed).toHaveLength(1);
  expect(json.failed[0]?.error).toContain('protected');
});

it('image build --json prints the built image when moving its pools fails afterwards, and exits with that failure', async () => {
  const specifications = await db.yamlFile({ server_type: 'cx23', image_name: 'debian-13', location: 'fsn1' });
  expect((await cli(`pool create hz-builds --provider-account hetzner-main --architectures amd64 --specifications ${specifications}`)).exitCode).toBe(0);
  const output = join(await db.yamlFile(''), '..', 'partial-image');
  // The build server powers off when done; the pool disappears meanwhile, so it cannot be moved.
  const earlier = new Set(fake.state.servers.map((s) => s.id));
  const powerOff = setInterval(() => {
    for (const server of fake.state.servers) {
      if (!earlier.has(server.id) && (server.status === 'running' || server.status === 'initializing')) {
        fake.setServerStatus(server.id, 'off');
        void db.query(`delete from worker_pools where name = 'hz-builds'`);
      }
    }
  }, 20);

  const outcome = await cliJson<ImageBuildResult>(
    `image build --target hetzner --account hetzner-main --output ${output} --poll-seconds 1 --pool hz-builds`,
  ).finally(() => clearInterval(powerOff));

  expect(outcome.exitCode).toBe(3);
  expect(outcome.json).toMatchObject({ target: 'hetzner', imageId: expect.stringMatching(/^\d+$/), pools: [] });
  expect(fake.state.images.some((i) => String(i.id) === outcome.json.imageId)).toBe(true);
});
