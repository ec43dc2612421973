import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHROOT = process.env.BUILDFLEET_WORKER_CHROOT ?? '/var/cache/buildfleet/chroot';
const HOME = '/var/lib/buildfleet-failover';

/** Whether the real debusine-worker can run here: the chroot .ci/setup-chroot.sh builds, and root. */
export function realWorkerAvailable(): boolean {
  return existsSync(join(CHROOT, '.complete')) && existsSync(join(CHROOT, 'usr/bin/debusine-worker')) && process.getuid?.() === 0;
}

/**
 * The real debusine-worker from the trixie chroot, with a HOME of its own and /proc in a
 * private mount namespace (so it runs beside other tests' workers), talking to `apiUrl`.
 */
export class RealWorker {
  output = '';
  private child: ChildProcess | undefined;

  constructor(
    private readonly apiUrl: string,
    private readonly activationKey: string,
  ) {}

  start(): void {
    const config = `${HOME}/.config/debusine/worker`;
    rmSync(join(CHROOT, HOME), { recursive: true, force: true });
    mkdirSync(join(CHROOT, config), { recursive: true });
    writeFileSync(join(CHROOT, config, 'config.ini'), `[General]\napi-url = ${this.apiUrl}\nlog-level = INFO\n`, { mode: 0o600 });
    writeFileSync(join(CHROOT, config, 'activation-token'), `${this.activationKey}\n`, { mode: 0o600 });
    execFileSync('chroot', [CHROOT, 'chown', '-R', 'debusine-worker:debusine-worker', HOME]);
    const worker = ['runuser', '-u', 'debusine-worker', '--', 'env', 'LANG=C.UTF-8', `HOME=${HOME}`, 'sh', '-c', 'cd ~ && exec debusine-worker'];
    this.child = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind /proc "$0/proc" && exec chroot "$@"', CHROOT, CHROOT, ...worker],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-200_000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(join(CHROOT, HOME), { recursive: true, force: true });
  }
}
