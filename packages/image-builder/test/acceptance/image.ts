import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Database } from '@buildfleet/models';
import { workerApi, type WorkerApi } from '@buildfleet/worker-api';
import express from 'express';
import { type BuildOptionsInput, type BuildPlan, buildLocal, type ManifestImage, plan, planDigest, readManifest, shellQuote } from '../../src';

const run = promisify(execFile);

/** Progress of the slow steps goes to stderr, so a CI log shows where the time went. */
export function say(message: string): void {
  process.stderr.write(`[image-builder acceptance ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Builds the image for `options` once: into BUILDFLEET_IMAGE_CACHE/<plan digest>, reused while
 * that directory holds a finished build of the same plan.
 */
export async function buildCached(options: BuildOptionsInput): Promise<{ buildPlan: BuildPlan; image: ManifestImage & { files: { raw: string; qcow2: string } } }> {
  const cache = process.env.BUILDFLEET_IMAGE_CACHE;
  if (!cache) throw new Error('BUILDFLEET_IMAGE_CACHE is not set: is test/acceptance/globalSetup.ts configured?');
  const buildPlan = plan(options);
  const dir = join(cache, planDigest(buildPlan));
  const cached = await readManifest(join(dir, 'manifest.json')).catch(() => undefined);
  const image = cached?.images.local;
  if (image?.files && image.plan_digest === planDigest(buildPlan)) {
    say(`reusing ${image.files.raw}`);
    return { buildPlan, image: { ...image, files: image.files } };
  }
  await rm(dir, { recursive: true, force: true });
  const result = await buildLocal(buildPlan, { outputDir: dir, onProgress: (e) => say(`${e.step}: ${e.message}`) });
  say(`built ${result.imageId} in ${result.image.build_seconds} s`);
  return { buildPlan, image: { ...result.image, files: result.image.files! } };
}

/** The ext4 root filesystem of a raw debefivm-create disk, read offline with debugfs (no mount, no loop device). */
export class RootFilesystem {
  private constructor(private readonly device: string) {}

  static async of(raw: string): Promise<RootFilesystem> {
    const { stdout } = await run('sfdisk', ['--json', raw]);
    const table = JSON.parse(stdout) as { partitiontable: { sectorsize?: number; partitions: { start: number; type: string }[] } };
    // debefivm-create: an EFI system partition, then the root partition.
    const root = table.partitiontable.partitions.find((p) => p.type !== 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
    if (!root) throw new Error(`${raw} has no root partition`);
    return new RootFilesystem(`${raw}?offset=${root.start * (table.partitiontable.sectorsize ?? 512)}`);
  }

  private async debugfs(request: string): Promise<{ stdout: string; missing: boolean }> {
    const { stdout, stderr } = await run('debugfs', ['-R', request, this.device], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, missing: /File not found by ext2_lookup/.test(stderr) };
  }

  /** The file's content, or undefined if it does not exist. */
  async read(path: string): Promise<string | undefined> {
    const { stdout, missing } = await this.debugfs(`cat ${path}`);
    return missing ? undefined : stdout;
  }

  /** Names in the directory, or undefined if it does not exist. */
  async list(path: string): Promise<string[] | undefined> {
    const { stdout, missing } = await this.debugfs(`ls -p ${path}`);
    if (missing) return undefined;
    // `ls -p` lines: /inode/mode/uid/gid/name/size/
    return stdout
      .split('\n')
      .map((line) => line.split('/')[5])
      .filter((name): name is string => name !== undefined && name !== '' && name !== '.' && name !== '..');
  }

  /** `Package: version` of every package dpkg lists as installed. */
  async installedPackages(): Promise<Record<string, string>> {
    const status = (await this.read('/var/lib/dpkg/status')) ?? '';
    const installed: Record<string, string> = {};
    for (const stanza of status.split('\n\n')) {
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1];
      if (field('Status') === 'install ok installed') installed[field('Package')!] = field('Version')!;
    }
    return installed;
  }
}

/** buildfleet's worker API on 127.0.0.1; the guest reaches it at GUEST_API_ADDRESS (see bootVm). */
export async function startWorkerApi(db: Database): Promise<{ api: WorkerApi; port: number; close(): Promise<void> }> {
  const lines: string[] = [];
  const api = workerApi({ db, logger: { info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m) } });
  const app = express();
  app.use('/api', api.router);
  const server: Server = createServer(app);
  api.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    api,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await api.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A NoCloud seed: a FAT image labelled CIDATA with `meta-data` and `user-data`, made with mkfs.fat and mcopy. */
export async function makeSeed(dir: string, userData: string, hostname: string, vendorData?: string): Promise<string> {
  const seed = join(dir, 'seed.img');
  const files = ['user-data', 'meta-data', ...(vendorData === undefined ? [] : ['vendor-data'])];
  await writeFile(join(dir, 'user-data'), userData);
  await writeFile(join(dir, 'meta-data'), `instance-id: ${hostname}\nlocal-hostname: ${hostname}\n`);
  if (vendorData !== undefined) await writeFile(join(dir, 'vendor-data'), vendorData);
  await writeFile(seed, '');
  await truncate(seed, 2 * 1024 * 1024);
  await run('mkfs.fat', ['-n', 'CIDATA', seed]);
  await run('mcopy', ['-i', seed, ...files.map((file) => join(dir, file)), '::']);
  return seed;
}

const EXPECT_MARK = 'buildfleet-expect';

/**
 * A cloud-init vendor-data script that runs the plan's `expect` shell checks as root once the
 * guest has booted (cloud-init's final stage), and writes one line per check to the console:
 * `buildfleet-expect <index> ok|failed`, then `buildfleet-expect done`. Vendor data, so the
 * user data stays exactly what a launched instance gets.
 */
export function expectChecksScript(checks: BuildPlan['expect']['checks']): string {
  return [
    '#!/bin/sh',
    'say() { for t in /dev/console /dev/ttyS0; do echo "$1" >"$t"; done 2>/dev/null; }',
    ...checks.map((check, index) => `if bash -c ${shellQuote(check.command)} >/dev/null 2>&1; then say '${EXPECT_MARK} ${index} ok'; else say '${EXPECT_MARK} ${index} failed'; fi`),
    `say '${EXPECT_MARK} done'`,
    '',
  ].join('\n');
}

/** The results `expectChecksScript` wrote to the console, `<check name>: ok|failed`, or undefined until it is done. */
export function expectCheckResults(console: string, checks: BuildPlan['expect']['checks']): string[] | undefined {
  if (!console.includes(`${EXPECT_MARK} done`)) return undefined;
  const outcome = new Map<number, string>();
  for (const [, index, result] of console.matchAll(new RegExp(`${EXPECT_MARK} (\\d+) (ok|failed)`, 'g'))) outcome.set(Number(index), result!);
  return checks.map((check, index) => `${check.name}: ${outcome.get(index) ?? 'missing'}`);
}

/** The one address the guest can reach: QEMU forwards it to the API and isolates everything else. */
export const GUEST_API_ADDRESS = '10.0.2.100:8080';

export interface Vm {
  /** Console output so far. */
  console(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Boots the qcow2 image under QEMU with TCG (no KVM here) and OVMF, the seed as a second disk,
 * and isolated user networking (`restrict=on`): the guest reaches only GUEST_API_ADDRESS, which
 * QEMU pipes to the API on 127.0.0.1:`apiPort`, and no packet of it leaves this machine.
 * `-snapshot` keeps the image unchanged. The console goes to `consoleLog`.
 */
export function bootVm(qcow2: string, seed: string, consoleLog: string, apiPort: number): Vm {
  const pipe = join(__dirname, 'tcp-pipe.js');
  const child: ChildProcess = spawn(
    'qemu-system-x86_64',
    [
      '-machine', 'q35', '-accel', 'tcg', '-m', '2048', '-smp', '2',
      '-bios', '/usr/share/ovmf/OVMF.fd',
      '-nographic', '-snapshot',
      '-drive', `file=${qcow2},if=virtio,format=qcow2`,
      '-drive', `file=${seed},if=virtio,format=raw`,
      '-netdev', `user,id=n0,restrict=on,guestfwd=tcp:${GUEST_API_ADDRESS}-cmd:${process.execPath} ${pipe} ${apiPort}`,
      '-device', 'virtio-net-pci,netdev=n0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = createWriteStream(consoleLog);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return {
    console: () => readFile(consoleLog, 'utf8').catch(() => ''),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` every second until it returns a value, or fails after `timeoutMs` with `describe()` for context. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, describe: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`gave up after ${timeoutMs / 1000} s; ${await describe()}`);
}

/**
 * A signed flat APT repository in `dir` holding trixie's debusine-worker and python3-debusine
 * rebuilt as `<version>+dev1`, so the image must prefer them over the archive's. Returns the armored public key and
 * the new version. Downloads the two packages with a scratch APT configuration: the host's
 * APT state is left alone.
 */
export async function makeFlatRepository(dir: string, origin: string): Promise<{ publicKey: string; version: string }> {
  const work = await mkdtemp(join(tmpdir(), 'buildfleet-flat-repo-'));
  try {
    const debs = await downloadTrixie(work, ['debusine-worker', 'python3-debusine']);
    const original = (await run('dpkg-deb', ['--field', debs[0]!, 'Version'])).stdout.trim();
    const version = `${original}+dev1`;
    await mkdir(dir, { recursive: true });
    const stanzas: string[] = [];
    for (const deb of debs) {
      const tree = join(work, 'tree');
      await rm(tree, { recursive: true, force: true });
      await run('dpkg-deb', ['--raw-extract', deb, tree]);
      const controlPath = join(tree, 'DEBIAN', 'control');
      const control = (await readFile(controlPath, 'utf8')).replace(/^Version: .*$/m, `Version: ${version}`).split(`(= ${original})`).join(`(= ${version})`);
      await writeFile(controlPath, control);
      const name = /^Package: (.*)$/m.exec(control)![1]!;
      const file = `${name}_${version}_all.deb`;
      await run('dpkg-deb', ['--root-owner-group', '--build', tree, join(dir, file)]);
      const bytes = await readFile(join(dir, file));
      stanzas.push(
        `${control.trimEnd()}\nFilename: ./${file}\nSize: ${bytes.length}\nSHA256: ${createHash('sha256').update(bytes).digest('hex')}\n`,
      );
    }
    const packages = `${stanzas.join('\n')}`;
    await writeFile(join(dir, 'Packages'), packages);
    const release = [
      `Origin: ${origin}`,
      `Label: ${origin}`,
      `Date: ${new Date().toUTCString()}`,
      'Architectures: amd64 all',
      'SHA256:',
      ` ${createHash('sha256').update(packages).digest('hex')} ${Buffer.byteLength(packages)} Packages`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'Release'), release);
    const gnupg = join(work, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    const gpg = (...args: string[]) => run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: gnupg } });
    await gpg('--quick-gen-key', `${origin} <repo@example.invalid>`, 'ed25519', 'sign', '1y');
    await gpg('--output', join(dir, 'InRelease'), '--clearsign', join(dir, 'Release'));
    const publicKey = (await gpg('--armor', '--export')).stdout;
    return { publicKey, version };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function downloadTrixie(work: string, packages: string[]): Promise<string[]> {
  const apt = join(work, 'apt');
  for (const sub of ['sources.list.d', 'preferences.d', 'state/lists/partial', 'cache/archives/partial', 'debs']) await mkdir(join(apt, sub), { recursive: true });
  await writeFile(join(apt, 'status'), '');
  await writeFile(
    join(apt, 'sources.list.d', 'trixie.sources'),
    'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  );
  const config = join(apt, 'apt.conf');
  await writeFile(
    config,
    [
      `Dir::Etc::SourceList "/dev/null";`,
      `Dir::Etc::SourceParts "${apt}/sources.list.d";`,
      `Dir::Etc::Preferences "/dev/null";`,
      `Dir::Etc::PreferencesParts "${apt}/preferences.d";`,
      `Dir::State "${apt}/state";`,
      `Dir::State::status "${apt}/status";`,
      `Dir::Cache "${apt}/cache";`,
      `APT::Architecture "amd64";`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, APT_CONFIG: config };
  await run('apt-get', ['-q', 'update'], { env });
  await run('apt-get', ['-q', 'download', ...packages], { env, cwd: join(apt, 'debs') });
  const files = await readdir(join(apt, 'debs'));
  return packages.map((name) => {
    const file = files.find((f) => f.startsWith(`${name}_`));
    if (!file) throw new Error(`apt-get download did not fetch ${name}`);
    return join(apt, 'debs', file);
  });
}

export async function fileSize(path: string): Promise<{ bytes: number; allocated: number }> {
  const info = await stat(path);
  return { bytes: info.size, allocated: info.blocks * 512 };
}
