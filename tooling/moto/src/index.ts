import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * moto for Jest: `startMoto` in a globalSetup, `stopMoto` in its globalTeardown, and
 * `motoEndpoint()` in tests. With MOTO_ENDPOINT already set, that server is used. When moto
 * cannot start, MOTO_UNAVAILABLE says why and how to fix it, and every test that asks for the
 * endpoint fails with that text: nothing is skipped silently.
 */

const PROCESS_KEY = Symbol.for('buildfleet.moto.process');
const FILES_KEY = Symbol.for('buildfleet.moto.files');

export interface StartMotoOptions {
  /** Environment for moto_server, e.g. `{ MOTO_ENABLE_AMI_VALIDATION: 'true' }`. (Default: none) */
  env?: Record<string, string>;
  /** Files to place inside the chroot before moto starts, by path as moto sees it. (Default: none) */
  files?: Record<string, string>;
}

export async function startMoto(options: StartMotoOptions = {}): Promise<void> {
  if (process.env.MOTO_ENDPOINT) return;
  const chroot = process.env.BUILDFLEET_CHROOT ?? '/var/cache/buildfleet/chroot';
  const fix = `create it with: sudo bash .ci/setup-chroot.sh ${chroot} (from the repository root), or set MOTO_ENDPOINT to a running moto_server`;
  if (!existsSync(`${chroot}/.complete`) || !existsSync(`${chroot}/usr/bin/moto_server`)) {
    process.env.MOTO_UNAVAILABLE = `The chroot with moto_server (${chroot}) is missing; ${fix}`;
    return;
  }
  const files = Object.entries(options.files ?? {}).map(([path, content]) => ({ path: `${chroot}${path}`, content }));
  for (const file of files) await writeFile(file.path, file.content);
  global()[FILES_KEY] = files.map((f) => f.path);
  const port = await freePort();
  const stderr: string[] = [];
  const child = spawn('chroot', [chroot, 'moto_server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  global()[PROCESS_KEY] = child;
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) {
        process.env.MOTO_ENDPOINT = endpoint;
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  process.env.MOTO_UNAVAILABLE = `moto_server in ${chroot} did not start (exit ${child.exitCode}): ${stderr.join('').slice(-2000)}; ${fix}`;
}

export async function stopMoto(): Promise<void> {
  const files = (global()[FILES_KEY] as string[] | undefined) ?? [];
  for (const file of files) await rm(file, { force: true });
  const child = global()[PROCESS_KEY] as ChildProcess | undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The moto endpoint the globalSetup started, or a failure that says how to get one. */
export function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error(process.env.MOTO_UNAVAILABLE ?? 'MOTO_ENDPOINT is not set: call startMoto in the Jest globalSetup');
  return endpoint;
}

function global(): Record<symbol, unknown> {
  return globalThis as Record<symbol, unknown>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
