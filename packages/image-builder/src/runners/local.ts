import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type ManifestImage, recordImage } from '../manifest';
import { imageBaseName } from '../publish';
import { type MmdebstrapCommand, renderMmdebstrap } from '../render/mmdebstrap';
import type { BuildPlan } from '../types';
import { type ProgressEvent, type RunnerOptions } from './common';
import { type BuildResult } from './result';

/** debefivm-create before 0.4.4 lacks what Debusine relies on (bookworm's 0.2.10 is too old). */
export const MIN_DEBVM_VERSION = '0.4.4';

export interface LocalCommands {
  /** debefivm-create: the raw UEFI disk. */
  build: MmdebstrapCommand;
  /** qemu-img: the raw disk compressed into qcow2. */
  convert: string[];
  raw: string;
  qcow2: string;
}

/** The two command lines of a local build into `outputDir`, as argument arrays. Pure. */
export function localBuildCommands(buildPlan: BuildPlan, outputDir: string): LocalCommands {
  const dir = resolve(outputDir);
  const base = imageBaseName(buildPlan.options);
  const raw = join(dir, `${base}.raw`);
  const qcow2 = join(dir, `${base}.qcow2`);
  return {
    build: renderMmdebstrap(buildPlan, raw, join(dir, `${base}.staging`)),
    convert: ['qemu-img', 'convert', '-c', '-O', 'qcow2', raw, qcow2],
    raw,
    qcow2,
  };
}

export interface LocalBuildOptions extends RunnerOptions {
  /** Runs a command; tests and callers may wrap it. (Default: spawn without a shell, output streamed to onProgress) */
  run?: (argv: string[], options: { signal?: AbortSignal | undefined; onLine: (line: string) => void }) => Promise<void>;
}

/**
 * Builds the plan into `<outputDir>/<name>.raw` with debefivm-create, compresses it into
 * `<name>.qcow2`, reads the installed package versions and writes the manifest. Needs debvm ≥
 * 0.4.4, mmdebstrap, qemu-utils, e2fsprogs, dosfstools, mtools and fdisk on the host; runs as
 * root (or with subordinate ids, through unshare). On failure or abort the disks are removed.
 */
export async function buildLocal(buildPlan: BuildPlan, options: LocalBuildOptions): Promise<BuildResult> {
  const now = options.now ?? (() => new Date());
  const report = (step: string, message: string) => options.onProgress?.({ step, message } satisfies ProgressEvent);
  const run = options.run ?? spawnCommand;
  const started = now();
  const commands = localBuildCommands(buildPlan, options.outputDir);
  const { build, raw, qcow2 } = commands;

  if (buildPlan.target !== 'local') throw new Error(`buildLocal needs a plan for target local, not ${buildPlan.target}`);
  for (const path of [raw, qcow2]) {
    if (await exists(path)) throw new Error(`${path} already exists: delete it or choose another output directory`);
  }
  await checkDebvm(run);

  const created = [raw, qcow2, build.staging.dir];
  try {
    await mkdir(build.staging.dir, { recursive: true });
    for (const file of build.staging.files) {
      await writeFile(join(build.staging.dir, file.name), file.content, { mode: parseInt(file.mode, 8) });
    }
    report('debefivm-create', `building ${raw} (${buildPlan.release}, ${buildPlan.architecture}, ${buildPlan.packages.length} planned packages)`);
    await run(build.argv, { signal: options.signal, onLine: (line) => progressLine(line, (message) => report('debefivm-create', message)) });
    const packages = parsePackageList(await readFile(build.packageList, 'utf8'));
    report('qemu-img-convert', `compressing into ${qcow2}`);
    await run(commands.convert, { signal: options.signal, onLine: () => undefined });
    await rm(build.staging.dir, { recursive: true, force: true });

    const finished = now();
    const image: Omit<ManifestImage, 'plan_digest'> = {
      id: qcow2,
      name: `${imageBaseName(buildPlan.options)}.qcow2`,
      built_at: finished.toISOString(),
      build_seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      packages,
      files: { raw, qcow2 },
    };
    const { manifest, path } = await recordImage(options.outputDir, buildPlan, image);
    report('manifest', `wrote ${path}`);
    return { target: 'local', imageId: qcow2, image: manifest.images.local!, manifest, manifestPath: path };
  } catch (error) {
    report('cleanup', `removing ${created.join(', ')}`);
    await Promise.all(created.map((path) => rm(path, { recursive: true, force: true })));
    throw error;
  }
}

/** `package<TAB>version` lines (from dpkg-query) as a sorted map. */
export function parsePackageList(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((fields): fields is [string, string] => fields.length === 2 && fields[0] !== '' && fields[1] !== '');
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** mmdebstrap's `I:` lines and the provisioning script's own log lines are progress; the rest is noise. */
function progressLine(line: string, report: (message: string) => void): void {
  const trimmed = line.trim();
  if (/^(I: |buildfleet-provision: )/.test(trimmed)) report(trimmed);
  else if (/^(E: |W: )/.test(trimmed)) report(trimmed);
}

async function checkDebvm(run: NonNullable<LocalBuildOptions['run']>): Promise<void> {
  let version = '';
  try {
    await run(['dpkg-query', '--show', '--showformat=${Version}', 'debvm'], { onLine: (line) => (version += line.trim()) });
  } catch {
    throw new Error(`debvm is not installed: install debvm ≥ ${MIN_DEBVM_VERSION} (trixie, or bookworm-backports: apt-get install -t bookworm-backports debvm mmdebstrap)`);
  }
  try {
    await run(['dpkg', '--compare-versions', version, 'ge', MIN_DEBVM_VERSION], { onLine: () => undefined });
  } catch {
    throw new Error(`debvm ${version} is too old: install debvm ≥ ${MIN_DEBVM_VERSION} (trixie, or bookworm-backports: apt-get install -t bookworm-backports debvm mmdebstrap)`);
  }
}

/**
 * Spawns `argv` without a shell in its own process group, passes each output line to `onLine`,
 * and on abort sends SIGTERM to the group (debefivm-create and mmdebstrap clean up on TERM).
 */
export function spawnCommand(argv: string[], { signal, onLine }: { signal?: AbortSignal | undefined; onLine: (line: string) => void }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const [command, ...args] = argv;
    const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const tail: string[] = [];
    const onOutput = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onLine(line);
    };
    createInterface({ input: child.stdout }).on('line', onOutput);
    createInterface({ input: child.stderr }).on('line', onOutput);
    const onAbort = () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (code === 0) return resolvePromise();
      reject(new Error(`${command} failed (${killedBy ?? `exit ${code}`}); last output:\n${tail.join('\n')}`));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
