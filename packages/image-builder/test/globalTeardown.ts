import { type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  if (process.env.MOTO_AMIS_FILE) await rm(process.env.MOTO_AMIS_FILE, { force: true });
  const child = (globalThis as { __MOTO__?: ChildProcess }).__MOTO__;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
