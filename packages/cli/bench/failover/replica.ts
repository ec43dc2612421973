import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

/** The built CLI, from the test (ts-jest) and from the compiled benchmark alike. */
const BIN = join(dirname(require.resolve('@buildfleet/cli/package.json')), 'bin', 'run.js');

export interface ReplicaOptions {
  name: string;
  port: number;
  databaseUrl: string;
  /** The API URL workers are given: the load balancer's. */
  apiUrl: string;
  leaseSeconds: number;
}

/** One `buildfleet serve` process of the built CLI, on a fixed port, restartable. */
export class Replica {
  /** The process id its session leases carry, from its "serving" log line. */
  processId = '';
  log = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly options: ReplicaOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  async start(): Promise<void> {
    const { port, databaseUrl, apiUrl, leaseSeconds } = this.options;
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--json', '--port', String(port), '--api-url', apiUrl, '--schedule-interval', '1',
       '--provision-interval', '2', '--session-lease', String(leaseSeconds), '--log-level', 'info'],
      { env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
      if (this.log.length > 2_000_000) this.log = this.log.slice(-1_000_000);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const serving = /"process":"([0-9a-f-]{36})"[^\n]*buildfleet is serving|buildfleet is serving[^\n]*"process":"([0-9a-f-]{36})"/.exec(this.log);
      if (serving && (await this.ready())) {
        this.processId = serving[1] ?? serving[2]!;
        return;
      }
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`replica ${this.options.name} exited: ${this.log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`replica ${this.options.name} not ready after 60 s: ${this.log.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async ready(): Promise<boolean> {
    const answer = await fetch(`${this.url}/readyz`).catch(() => undefined);
    return answer?.status === 200;
  }

  /** SIGKILL: no shutdown at all, as when a machine dies. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the clean shutdown; resolves once the process exited. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
