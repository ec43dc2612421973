import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import { imageLabels, plan, renderBuildUserData } from '@buildfleet/image-builder';
import { type ImageBuildResult } from '../src/commands/image/build';
import { type ImageListResult } from '../src/commands/image/list';
import { type ImagePlanResult } from '../src/commands/image/plan';
import { type ImagePruneResult } from '../src/commands/image/prune';
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
