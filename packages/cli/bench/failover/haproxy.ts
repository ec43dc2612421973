import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The haproxy configuration docs/deploy.md describes, for replicas on 127.0.0.1: WebSockets
 * pass through (`timeout tunnel`), `/readyz` decides which replicas take traffic, and a
 * request whose replica failed before answering (refused, or died with it in flight) goes to
 * another one.
 */
export function haproxyConfig(port: number, replicas: { name: string; port: number }[]): string {
  return `global
    log stderr format raw local0 warning
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 10s
    retries 3
    option redispatch
    option http-buffer-request
    retry-on conn-failure empty-response

frontend buildfleet
    bind 127.0.0.1:${port}
    default_backend replicas

backend replicas
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
${replicas.map((r) => `    server ${r.name} 127.0.0.1:${r.port} check`).join('\n')}
`;
}

/** Debian's haproxy in the foreground, with the configuration above. */
export class Haproxy {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    private readonly directory: string,
    readonly port: number,
    private readonly replicas: { name: string; port: number }[],
  ) {}

  async start(): Promise<void> {
    const file = join(this.directory, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig(this.port, this.replicas));
    const check = spawnSync('haproxy', ['-c', '-q', '-f', file], { encoding: 'utf8' });
    if (check.error) throw new Error(`haproxy is not installed (apt-get install haproxy): ${check.error.message}`);
    if (check.status !== 0) throw new Error(`haproxy refused its configuration: ${check.stderr}`);
    this.child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    // Ready once its health checks let a replica through.
    const deadline = Date.now() + 20_000;
    while ((await fetch(`http://127.0.0.1:${this.port}/readyz`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error(`haproxy passes no request to a replica after 20 s: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
