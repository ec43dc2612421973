import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { DEBIAN_AMIS } from './debianAmis';

/**
 * Starts moto (a real EC2 emulator) from the Debian chroot that .ci/setup-chroot.sh builds, as
 * packages/cloud-drivers/test/globalSetup.ts does, but with MOTO_AMIS_PATH: moto's own AMI list
 * has no official Debian AMIs, and the aws runner looks those up by owner and name. With
 * MOTO_ENDPOINT set, that server is used instead (and must know DEBIAN_AMIS). Otherwise
 * MOTO_UNAVAILABLE says why and how to fix it, and every test that needs moto fails with it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MOTO_ENDPOINT) return;
  const chroot = process.env.BUILDFLEET_CHROOT ?? '/var/cache/buildfleet/chroot';
  const fix = `create it with: sudo bash .ci/setup-chroot.sh ${chroot} (from the repository root), or set MOTO_ENDPOINT to a running moto_server`;
  if (!existsSync(`${chroot}/.complete`) || !existsSync(`${chroot}/usr/bin/moto_server`)) {
    process.env.MOTO_UNAVAILABLE = `The chroot with moto_server (${chroot}) is missing; ${fix}`;
    return;
  }
  // Inside the chroot, so moto_server can read it; removed by globalTeardown.
  const amisPath = `/tmp/buildfleet-image-builder-amis-${process.pid}.json`;
  await writeFile(`${chroot}${amisPath}`, JSON.stringify(DEBIAN_AMIS));
  process.env.MOTO_AMIS_FILE = `${chroot}${amisPath}`;
  const port = await freePort();
  const stderr: string[] = [];
  const child = spawn('chroot', [chroot, 'moto_server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_AMIS_PATH: amisPath, MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION: 'true' },
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  (globalThis as { __MOTO__?: ChildProcess }).__MOTO__ = child;
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
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
