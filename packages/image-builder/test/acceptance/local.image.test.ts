import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, connectedSinceSql, type Database } from '@buildfleet/models';
import { useConnectedDatabase, withPgClient } from '@buildfleet/testdb';
import { createStaticWorker } from '@buildfleet/worker-api';
import { type BuildPlan, type ManifestImage, renderBootUserData } from '../../src';
import { embedKey, stanza } from '../helpers';
import {
  bootVm,
  buildCached,
  eventually,
  expectCheckResults,
  expectChecksScript,
  fileSize,
  GUEST_API_ADDRESS,
  makeFlatRepository,
  makeSeed,
  RootFilesystem,
  say,
  startWorkerApi,
  type Vm,
} from './image';

/**
 * The real thing: debefivm-create builds the images, QEMU (TCG, OVMF) boots the default one with
 * nothing but the API URL and an activation token, and buildfleet's own worker API must see the
 * worker register, connect and report exactly the capabilities the plan expects. Needs root,
 * debvm ≥ 0.4.4, mmdebstrap, qemu-system-x86, qemu-utils, ovmf, dosfstools, mtools, e2fsprogs,
 * fdisk and gnupg (.ci/run installs them) and reaches deb.debian.org.
 */

const MINUTE = 60_000;

describe('a default image built locally', () => {
  const database = useConnectedDatabase((url) => connectDatabase(url, 4));
  let db: Database;
  let buildPlan: BuildPlan;
  let image: ManifestImage & { files: { raw: string; qcow2: string } };
  let root: RootFilesystem;
  let api: Awaited<ReturnType<typeof startWorkerApi>> | undefined;
  let vm: Vm | undefined;
  let scratch = '';
  const query = <R>(sql: string, values: unknown[]) => withPgClient(database.url, async (client) => (await client.query(sql, values)).rows as R[]);

  beforeAll(async () => {
    db = database.db;
    ({ buildPlan, image } = await buildCached({}));
    root = await RootFilesystem.of(image.files.raw);
    scratch = await mkdtemp(join(tmpdir(), 'buildfleet-boot-'));
  }, 20 * MINUTE);

  afterAll(async () => {
    await vm?.stop();
    await api?.close();
    await rm(scratch, { recursive: true, force: true });
  }, MINUTE);

  it('records the installed package versions in the manifest, as dpkg in the image has them', async () => {
    const installed = await root.installedPackages();
    expect(image.packages).toEqual(installed);
    for (const planned of buildPlan.packages) expect(installed).toHaveProperty(planned.name);
    expect(installed).toHaveProperty(buildPlan.local_build.kernel);
    const raw = await fileSize(image.files.raw);
    const qcow2 = await fileSize(image.files.qcow2);
    say(`raw ${(raw.bytes / 2 ** 30).toFixed(1)} GiB (${Math.round(raw.allocated / 2 ** 20)} MiB allocated), qcow2 ${Math.round(qcow2.bytes / 2 ** 20)} MiB, ${Object.keys(installed).length} packages`);
  });

  it('contains no token, machine id, SSH host key or cloud-init state', async () => {
    expect(await root.list('/etc/debusine/worker')).toEqual([]);
    expect(['', 'uninitialized\n']).toContain(await root.read('/etc/machine-id'));
    expect(await root.read('/var/lib/dbus/machine-id')).toBeUndefined();
    expect((await root.list('/etc/ssh'))!.filter((name) => name.startsWith('ssh_host_'))).toEqual([]);
    expect(await root.list('/var/lib/cloud')).toBeUndefined();
    expect(await root.list('/var/log/debusine/worker')).toEqual([]);
    expect(await root.read('/etc/hostname')).toBeUndefined();
  });

  it('keeps root locked: no password-less console login', async () => {
    const shadow = (await root.read('/etc/shadow')) ?? '';
    expect(/^root:([^:]*):/m.exec(shadow)?.[1]).toMatch(/^[*!]/);
  });

  it('boots with only an API URL and an activation token, registers (spending the token), connects, reports exactly the expected capabilities and passes every expect check', async () => {
    api = await startWorkerApi(db);
    const { worker, activationKey } = await createStaticWorker(db, 'acceptance-vm');
    const userData = renderBootUserData({ apiUrl: `http://${GUEST_API_ADDRESS}/api`, activationToken: activationKey });
    const seed = await makeSeed(scratch, userData, 'acceptance-vm', expectChecksScript(buildPlan.expect.checks));
    const consoleLog = join(scratch, 'console.log');
    const started = Date.now();
    vm = bootVm(image.files.qcow2, seed, consoleLog, api.port);
    say(`booting ${image.files.qcow2} (TCG); console in ${consoleLog}`);

    const describe = async () => `console tail:\n${(await vm!.console()).split('\n').slice(-40).join('\n')}`;
    const registered = await eventually(
      async () => {
        const [row] = await query<{ token_id: string | null; activation_token_id: string | null; enabled: boolean | null }>(
          'select w.token_id, w.activation_token_id, t.enabled from workers w left join tokens t on t.id = w.token_id where w.name = $1',
          [worker.name],
        );
        return row?.token_id ? row : undefined;
      },
      15 * MINUTE,
      describe,
    );
    say(`registered ${Math.round((Date.now() - started) / 1000)} s after power-on`);
    expect(registered).toEqual({ token_id: expect.any(String), activation_token_id: null, enabled: true });

    const metadata = await eventually(
      async () => {
        const [row] = await query<{ connected_at: Date | null; dynamic_metadata: Record<string, unknown> | null }>(
          `select ${connectedSinceSql('id')} as connected_at, dynamic_metadata from workers where name = $1`,
          [worker.name],
        );
        return row?.connected_at && row.dynamic_metadata && Object.keys(row.dynamic_metadata).length > 0 ? row.dynamic_metadata : undefined;
      },
      5 * MINUTE,
      describe,
    );
    const elapsed = Math.round((Date.now() - started) / 1000);
    say(`connected and reported metadata ${elapsed} s after power-on`);

    const availability = Object.fromEntries(Object.entries(metadata).filter(([key]) => key.endsWith(':available')));
    expect(availability).toEqual(buildPlan.expect.metadata);
    expect(metadata['system:architectures']).toEqual(expect.arrayContaining([buildPlan.architecture]));

    // The activation token is spent: registering with it again is refused.
    const again = await fetch(`http://127.0.0.1:${api.port}/api/1.0/worker/register/`, {
      method: 'POST',
      headers: { token: activationKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: 'f'.repeat(64), fqdn: 'intruder', worker_type: 'external' }),
    });
    expect(again.status).toBe(403);
    expect(await vm.console()).not.toContain(activationKey);

    // The plan's shell checks (firewall, metadata service, subordinate ids, unshare, groups), run in the guest.
    const checks = await eventually(async () => expectCheckResults(await vm!.console(), buildPlan.expect.checks), 5 * MINUTE, describe);
    say(`expect checks: ${checks.join('; ')}`);
    expect(buildPlan.expect.checks.length).toBeGreaterThanOrEqual(5);
    expect(checks).toEqual(buildPlan.expect.checks.map((check) => `${check.name}: ok`));
  }, 25 * MINUTE);
});

describe('images with other options, inspected offline', () => {
  it('installs debusine-worker from a signed flat repository given as `source` (copy://), pinned', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'buildfleet-repo-'));
    try {
      const { publicKey, version } = await makeFlatRepository(repo, 'BuildfleetTest');
      const source = stanza({ URIs: `copy://${repo}/`, Suites: './', Components: undefined, 'Signed-By': embedKey(publicKey) });
      const { image } = await buildCached({ source, worker_source: 'source', pin: 'o=BuildfleetTest' });
      const root = await RootFilesystem.of(image.files.raw);
      const installed = await root.installedPackages();
      expect(installed).toMatchObject({ 'debusine-worker': version, 'python3-debusine': version });
      expect(image.packages).toMatchObject({ 'debusine-worker': version });
      expect(await root.read('/etc/apt/sources.list.d/buildfleet-extra.sources')).toBe(source);
      expect(await root.read('/etc/apt/preferences.d/80-buildfleet-source')).toBe('Package: src:debusine\nPin: release o=BuildfleetTest\nPin-Priority: 900\n');
      expect(await root.list('/etc/debusine/worker')).toEqual([]);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  }, 20 * MINUTE);

  it('with incus-lxc has Incus, its first-boot unit and preseed, the group, and no Incus state', async () => {
    const { buildPlan, image } = await buildCached({ enable_backends: ['unshare', 'incus-lxc'] });
    const root = await RootFilesystem.of(image.files.raw);
    const installed = await root.installedPackages();
    for (const name of ['incus-base', 'dnsmasq-base', 'apparmor', 'autopkgtest', 'uidmap']) expect(installed).toHaveProperty(name);
    for (const file of buildPlan.files) expect(await root.read(file.path)).toBe(file.content);
    expect(await root.list('/etc/systemd/system/multi-user.target.wants')).toEqual(expect.arrayContaining(['buildfleet-incus-init.service', 'debusine-worker.service']));
    expect(await root.list('/etc/systemd/system/sysinit.target.wants')).toContain('nftables.service');
    expect(/^incus-admin:x:\d+:(.*)$/m.exec((await root.read('/etc/group')) ?? '')?.[1]?.split(',')).toContain('debusine-worker');
    expect(await root.list('/var/lib/incus')).toEqual([]);
  }, 20 * MINUTE);
});
