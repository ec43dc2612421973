import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the real debusine-worker 0.11.3 (and Debusine's own client) from the trixie chroot
 * that .ci/setup-chroot.sh builds, against the API on 127.0.0.1. Needs root (chroot, mount).
 */
export const CHROOT = process.env.BUILDFLEET_WORKER_CHROOT ?? '/var/cache/buildfleet/chroot';
export const CONFIG_DIR = '/etc/debusine/worker';
export const CLIENT_CONFIG = '/tmp/buildfleet-worker-api-client.ini';
export const inChroot = (path: string) => join(CHROOT, path);

export function requireChroot(): void {
  if (!existsSync(inChroot('.complete')) || !existsSync(inChroot('usr/bin/debusine-worker'))) {
    throw new Error(
      `No debusine-worker chroot at ${CHROOT}: build it with \`bash .ci/setup-chroot.sh ${CHROOT}\` (as root), ` +
        'or point BUILDFLEET_WORKER_CHROOT at one',
    );
  }
  if (process.getuid?.() !== 0) throw new Error('These tests chroot and bind-mount /proc: run them as root');
}

/** Files written with the worker user's ownership as the chroot sees it (its uid differs from the host's). */
export function writeWorkerFile(path: string, content: string): void {
  writeFileSync(inChroot(path), content, { mode: 0o600 });
  execFileSync('chroot', [CHROOT, 'chown', 'debusine-worker:debusine-worker', path]);
}

export function procMounted(): boolean {
  const target = inChroot('proc');
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === target);
}

/** Runs a command with `input` on stdin and returns its stdout; rejects when it fails. */
export function run(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, LANG: 'C.UTF-8' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited ${code}: ${redact(stderr)}`))));
    child.stdin.end(input);
  });
}

/** The worker's output with anything that looks like a token key hidden: its log prints its token. */
export const redact = (text: string) => text.replace(/[0-9a-f]{64}/g, '<token>');

/** Bind-mounts /proc into the chroot unless it is; returns whether it did (to unmount it after). */
export function mountProc(): boolean {
  if (procMounted()) return false;
  // psutil needs /proc: without it the worker dies on its first metadata report.
  execFileSync('mount', ['--bind', '/proc', inChroot('proc')]);
  return true;
}

/** The real debusine-worker in the chroot, as its own process group, with its output kept. */
export class WorkerProcess {
  output = '';
  private child: ChildProcess | undefined;

  /**
   * With `home`, the worker reads its configuration from HOME/.config/debusine/worker (inside the
   * chroot) instead of /etc/debusine/worker, and gets /proc in a mount namespace of its own, so
   * it can run beside another test file's worker.
   */
  constructor(private readonly home?: string) {}

  start(): void {
    this.output = '';
    const worker = ['runuser', '-u', 'debusine-worker', '--', 'env', 'LANG=C.UTF-8'];
    const args = this.home
      ? ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind /proc "$0/proc" && exec chroot "$@"', CHROOT, CHROOT,
         ...worker, `HOME=${this.home}`, 'sh', '-c', 'cd ~ && exec debusine-worker']
      : [CHROOT, ...worker, 'sh', '-c', 'cd ~ && exec debusine-worker'];
    this.child = spawn(this.home ? 'unshare' : 'chroot', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** SIGTERM (or `signal`) to its process group, SIGKILL after 10 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, signal);
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
