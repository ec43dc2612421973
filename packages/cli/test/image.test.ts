import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import { imageLabels, plan, renderBuildUserData } from '@buildfleet/image-builder';
import { type ImageBuildResult } from '../src/commands/image/build';
import { type ImageListResult } from '../src/commands/image/list';
import { type ImagePlanResult } from '../src/commands/image/plan';
import { type ImagePruneResult } from '../src/commands/image/prune';
import { type PoolShowResult } from '../src/commands/pool/show';
import { type ErrorResult } from '../src/shared/base-command';
import { cli, cliJson, expectNoSecret, hetznerAccount, SECRETS, useCliDatabase } from './helpers';

const db = useCliDatabase();

describe('image plan', () => {
  it('prints packages with reasons, files, services, the expected metadata and the publish steps', async () => {
    const { stdout, exitCode } = await cli('image plan --backend unshare --backend incus-lxc --target hetzner');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^Plan [0-9a-f]{64}: debusine-worker on trixie amd64, target hetzner$/m);
    expect(stdout).toMatch(/^incus-base +trixie +enable_backends:incus-lxc +Incus containers$/m);
    expect(stdout).toMatch(/^\/etc\/nftables\.conf +0755 +root:root +keeps tasks and guests away/m);
    expect(stdout).toContain('  enable buildfleet-incus-init.service: initialises Incus at first boot');
    expect(stdout).toContain('  executor:incus-lxc:available: true');
    expect(stdout).toContain('  1. create_server: POST /v1/servers from the stock Debian image');
    expect(stdout).toContain('Warnings: none');
  });

  it('returns the same plan as the library with --json, and shows warnings', async () => {
    const { json, exitCode } = await cliJson<ImagePlanResult>('image plan --backend qemu --target aws --release bookworm --task sbuild');
    expect(exitCode).toBe(0);
    expect(json.plan).toEqual(plan({ enable_backends: ['qemu'], target: 'aws', release: 'bookworm', enable_tasks: ['sbuild'] }));
    expect(json.plan.warnings.map((w) => w.code)).toEqual(['NoKvmOnTarget']);
    expect((await cli('image plan --backend qemu --target aws')).stdout).toContain('Warnings:\n  NoKvmOnTarget: qemu needs /dev/kvm');
  });

  it('reads --source from a file and refuses a bad one, naming the problem', async () => {
    const missing = await cliJson<ErrorResult>('image plan --source /nonexistent/extra.sources');
    expect(missing.exitCode).toBe(2);
    expect(missing.json.error.issues).toEqual([{ field: '--source', message: 'cannot read /nonexistent/extra.sources (ENOENT); give a deb822 .sources file' }]);
    const file = await db.yamlFile('Types: deb\nURIs: https://deb.example.net/debusine\nSuites: trixie\nComponents: main\n');
    const unsigned = await cliJson<ErrorResult>(`image plan --source ${file}`);
    expect(unsigned.exitCode).toBe(2);
    expect(JSON.stringify(unsigned.json.error)).toContain('Signed-By');
  });
});

describe('image build, list and prune on Hetzner', () => {
  let fake: HetznerFake;

  beforeEach(async () => {
    fake = await startHetznerFake({ token: SECRETS.hetznerToken });
    await cli(`account create --data ${await db.yamlFile(hetznerAccount({ configuration: { api_url: fake.url } }))}`);
  });
  afterEach(() => fake.close());

  it('builds on a server, prints progress, writes the manifest and never shows the token', async () => {
    const output = join(await db.yamlFile(''), '..', 'hetzner-image');
    const powerOff = setInterval(() => {
      for (const server of fake.state.servers) if (server.status === 'running' || server.status === 'initializing') fake.setServerStatus(server.id, 'off');
    }, 20);
    const outcome = await cliJson<ImageBuildResult>(`image build --target hetzner --account hetzner-main --output ${output} --poll-seconds 1`).finally(() => clearInterval(powerOff));
    expect(outcome.exitCode).toBe(0);
    const buildPlan = plan({ target: 'hetzner' });
    expect(outcome.json).toMatchObject({ target: 'hetzner', imageId: expect.stringMatching(/^\d+$/), manifestPath: join(output, 'manifest.json') });
    expect(fake.state.images.find((i) => String(i.id) === outcome.json.imageId)?.labels).toEqual(imageLabels(buildPlan));
    expect(fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/servers')?.body).toMatchObject({ user_data: renderBuildUserData(buildPlan) });
    expect(fake.state.servers).toEqual([]);
    expect(JSON.parse(await readFile(join(output, 'manifest.json'), 'utf8')).images.hetzner.id).toBe(outcome.json.imageId);
    expect(outcome.stderr).toMatch(/\] wait_server_off: build server \d+ is off$/m);
    expectNoSecret(outcome.stdout + outcome.stderr);
  });

  it('lists and prunes the snapshots by label', async () => {
    const labels = imageLabels(plan({ target: 'hetzner' }));
    for (const name of ['a', 'b', 'c']) {
      const server = await fetch(`${fake.url}/servers`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, server_type: 'cx23', image: 'debian-13', location: 'fsn1' }),
      }).then((r) => r.json() as Promise<{ server: { id: number } }>);
      await fetch(`${fake.url}/servers/${server.server.id}/actions/create_image`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'snapshot', description: `image-${name}`, labels }),
      });
    }
    const list = await cliJson<ImageListResult>('image list --target hetzner --account hetzner-main');
    expect(list.json.map((i) => i.name).sort()).toEqual(['image-a', 'image-b', 'image-c']);
    const table = await cli('image list --target hetzner --account hetzner-main');
    expect(table.stdout).toMatch(/^Id +Name +Created +State +Release +Architecture$/m);
    expect(table.stdout).toMatch(/image-a +\S+ +available +trixie +amd64$/m);

    const dryRun = await cliJson<ImagePruneResult>('image prune --target hetzner --account hetzner-main --keep 1 --dry-run');
    expect(dryRun.json).toMatchObject({ dryRun: true, failed: [] });
    expect(dryRun.json.deleted).toHaveLength(2);
    expect(fake.state.images.filter((i) => i.type === 'snapshot')).toHaveLength(3);

    const pruned = await cli('image prune --target hetzner --account hetzner-main --keep 1');
    expect(pruned.stdout).toContain('Deleted 2, kept 1.');
    expect(fake.state.images.filter((i) => i.type === 'snapshot')).toHaveLength(1);
    expectNoSecret(list.stdout + table.stdout + pruned.stdout + pruned.stderr);
  });

  /** A snapshot with buildfleet's labels taken `minutes` after a fixed start, as a build makes it. */
  async function snapshot(description: string): Promise<string> {
    const labels = imageLabels(plan({ target: 'hetzner' }));
    const headers = { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' };
    const server = await fetch(`${fake.url}/servers`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: description, server_type: 'cx23', image: 'debian-13', location: 'fsn1' }),
    }).then((r) => r.json() as Promise<{ server: { id: number } }>);
    const created = await fetch(`${fake.url}/servers/${server.server.id}/actions/create_image`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'snapshot', description, labels }),
    }).then((r) => r.json() as Promise<{ image: { id: number } }>);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // created dates have whole seconds
    return String(created.image.id);
  }

  async function hetznerPool(name: string, image: string): Promise<void> {
    const specifications = await db.yamlFile({ server_type: 'cx32', image_name: image });
    const created = await cli(`pool create ${name} --provider-account hetzner-main --architectures amd64 --specifications ${specifications}`);
    expect(created.exitCode).toBe(0);
  }

  const poolImage = async (name: string) => (await cliJson<PoolShowResult>(`pool show ${name}`)).json.image;

  it('builds into the --pool pools: each moves to the new image with a recorded decision', async () => {
    await hetznerPool('hetzner-cx32', 'debian-13');
    await hetznerPool('hetzner-cx42', 'debian-13');
    const output = join(await db.yamlFile(''), '..', 'hetzner-into-pools');
    const powerOff = setInterval(() => {
      for (const server of fake.state.servers) if (server.status === 'running' || server.status === 'initializing') fake.setServerStatus(server.id, 'off');
    }, 20);
    const outcome = await cliJson<ImageBuildResult>(
      `image build --target hetzner --account hetzner-main --output ${output} --poll-seconds 1 --pool hetzner-cx32 --pool hetzner-cx42`,
    ).finally(() => clearInterval(powerOff));
    expect(outcome.exitCode).toBe(0);
    const id = outcome.json.imageId;
    expect(outcome.json.pools.map((p) => [p.pool, p.image, p.decision?.reason])).toEqual([
      ['hetzner-cx32', id, 'ImageBuilt'],
      ['hetzner-cx42', id, 'ImageBuilt'],
    ]);
    expect(await poolImage('hetzner-cx32')).toBe(id);
    expect(await poolImage('hetzner-cx42')).toBe(id);
    const decisions = await db.query<{ kind: string; reason: string; pool: string; message: string }>(
      `select kind, reason, pool, message from provisioning_decisions where kind = 'image' and message like '%built by%' order by pool`,
    );
    expect(decisions.map((d) => [d.kind, d.reason, d.pool])).toEqual([
      ['image', 'ImageBuilt', 'hetzner-cx32'],
      ['image', 'ImageBuilt', 'hetzner-cx42'],
    ]);
    expect(decisions[0]!.message).toContain(`moves from image debian-13 to ${id}, built by image build (buildfleet-debusine-worker-trixie-amd64`);
  });

  it('changes no pool and records nothing when the build fails', async () => {
    await hetznerPool('hetzner-cx32', 'debian-13');
    const decisionsBefore = await db.count('provisioning_decisions');
    fake.failNext({ method: 'POST', path: '/servers', status: 403, code: 'forbidden', message: 'project is locked' });
    const outcome = await cliJson<ErrorResult>(`image build --target hetzner --account hetzner-main --output ${join(await db.yamlFile(''), '..', 'failing')} --pool hetzner-cx32`);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.json.error.message).toContain('project is locked');
    expect(await poolImage('hetzner-cx32')).toBe('debian-13');
    expect(await db.count('provisioning_decisions')).toBe(decisionsBefore);
  });

  it('refuses --pool naming an unknown pool, a pool of another provider, or a local build, before building', async () => {
    const unknown = await cliJson<ErrorResult>('image build --target hetzner --account hetzner-main --pool nowhere');
    expect(unknown.exitCode).toBe(3);
    await cli(`account create --data ${await db.yamlFile({ name: 'dummy-main', provider_type: 'dummy' })}`);
    await cli(`pool create dummy-pool --provider-account dummy-main --architectures amd64 --specifications ${await db.yamlFile({})}`);
    const other = await cliJson<ErrorResult>('image build --target hetzner --account hetzner-main --pool dummy-pool');
    expect(other.exitCode).toBe(2);
    expect(other.json.error.message).toContain('pool "dummy-pool" launches on dummy, which cannot run a hetzner image');
    const local = await cliJson<ErrorResult>('image build --target local --pool dummy-pool');
    expect(local.exitCode).toBe(2);
    expect(local.json.error.issues?.[0]?.field).toBe('--pool');
    expect(fake.state.servers).toEqual([]);
    expect(fake.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it("keeps a pool's image among the oldest, and an image an instance still runs until it is gone, saying why", async () => {
    const oldest = await snapshot('image-oldest');
    const older = await snapshot('image-older');
    const middle = await snapshot('image-middle');
    const newest = await snapshot('image-newest');
    await hetznerPool('hetzner-cx32', oldest);
    // A pool that moved on from `older` while one of its instances still runs it.
    await hetznerPool('hetzner-cx42', older);
    await db.insertWorker('hetzner-cx42-001', 'hetzner-cx42', { running: true });
    await db.query(`update workers set image_id = $1 where name = 'hetzner-cx42-001'`, [older]);
    expect((await cli(`pool update hetzner-cx42 --image ${newest}`)).exitCode).toBe(0);

    const dryRun = await cliJson<ImagePruneResult>('image prune --target hetzner --account hetzner-main --keep 1 --dry-run');
    expect(dryRun.json.deleted.map((i) => i.id)).toEqual([middle]);
    expect(dryRun.json.kept.map((i) => [i.id, i.keptBecause])).toEqual([
      [newest, ['in use by pool hetzner-cx42', 'newest 1']],
      [older, ['running on 1 instance']],
      [oldest, ['in use by pool hetzner-cx32']],
    ]);
    const table = await cli('image prune --target hetzner --account hetzner-main --keep 1');
    expect(table.stdout).toContain('Deleted 1, kept 3.');
    expect(table.stdout).toMatch(/Kept because$/m);
    expect(table.stdout).toMatch(new RegExp(`^${oldest} +image-oldest .* in use by pool hetzner-cx32$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${older} +image-older .* running on 1 instance$`, 'm'));

    await db.query(`update workers set instance_created_at = null where name = 'hetzner-cx42-001'`);
    const afterInstance = await cliJson<ImagePruneResult>('image prune --target hetzner --account hetzner-main --keep 1');
    expect(afterInstance.json.deleted.map((i) => i.id)).toEqual([older]);
    expect(fake.state.images.filter((i) => i.type === 'snapshot').map((i) => String(i.id)).sort()).toEqual([oldest, newest].sort());
  });

  it('refuses a build on aws or hetzner without --account, and an account of the other provider', async () => {
    const noAccount = await cliJson<ErrorResult>('image build --target hetzner');
    expect(noAccount.exitCode).toBe(2);
    expect(noAccount.json.error.issues?.[0]?.field).toBe('--account');
    const wrong = await cliJson<ErrorResult>('image list --target aws --account hetzner-main');
    expect(wrong.exitCode).toBe(2);
    expect(wrong.json.error.message).toContain('"hetzner-main" is a hetzner account; give a aws account for --target aws');
    expect((await cliJson<ErrorResult>('image list --target aws --account nobody')).exitCode).toBe(3);
  });

  it('reports a wrong token without showing it', async () => {
    await cli(`account create --data ${await db.yamlFile(hetznerAccount({ name: 'hz-wrong', credentials: { api_token: `${SECRETS.hetznerToken}-x` }, configuration: { api_url: fake.url } }))}`);
    const outcome = await cli('image list --target hetzner --account hz-wrong');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.error?.message).toContain('unauthorized');
    expectNoSecret(`${outcome.stdout}${outcome.stderr}${outcome.error?.message}`);
  });
});
