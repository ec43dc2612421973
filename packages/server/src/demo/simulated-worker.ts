import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

/** An answer's status and its body as text. */
interface Answer {
  status: number;
  text: string;
}

function send(agent: Agent, url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method, headers, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    call.on('error', reject);
    call.end(body);
  });
}

/** Metadata a small amd64 worker built from the default image reports. */
export const SIMULATED_METADATA: Record<string, unknown> = {
  'system:cpu_count': 2,
  'system:total_physical_memory': 4 * 2 ** 30,
  'system:worker_type': 'external',
  'system:host_architecture': 'amd64',
  'system:architectures': ['amd64', 'i386'],
  'executor:unshare:available': true,
  'executor:incus-lxc:available': false,
  'executor:incus-vm:available': false,
  'executor:qemu:available': false,
  'autopkgtest:version': 1,
  'autopkgtest:available': true,
  'noop:version': 1,
  'sbuild:version': 1,
  'sbuild:available': true,
};

export interface SimulatedWorkerOptions {
  apiUrl: string;
  activationToken: string;
  name: string;
  /** How long a work request "runs", in ms. */
  duration: (task: { id: number; task_name: string }) => number;
  onEvent?: (event: string) => void;
}

/**
 * Plays a booted debusine-worker over Debusine's real protocol, as far as a demo needs:
 * registers with its activation token, keeps a WebSocket open, answers metadata requests, and
 * on `work_request_available` fetches a request, waits its duration and reports success. Like
 * the real worker it handles one message at a time and never polls.
 */
export class SimulatedWorker {
  private token = '';
  private socket: WebSocket | undefined;
  private stopped = false;
  private queue = Promise.resolve();
  /**
   * Its own connection, kept alive between calls as debusine-worker's HTTP session keeps one.
   * Plain `node:http`, not `fetch`: the fleet benchmark runs 2,000 of these workers on the
   * server's own cores, and `fetch` (its streams, abort signals and pool) took half their CPU.
   */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly options: SimulatedWorkerOptions) {}

  async start(): Promise<void> {
    const key = randomBytes(32).toString('hex');
    const response = await send(
      this.agent,
      `${this.options.apiUrl}/1.0/worker/register/`,
      'POST',
      { token: this.options.activationToken, 'content-type': 'application/json' },
      JSON.stringify({ token: key, fqdn: this.options.name, worker_type: 'external' }),
    );
    if (response.status !== 201) throw new Error(`${this.options.name}: register answered ${response.status}`);
    this.token = key;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
    this.agent.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(`${this.options.apiUrl.replace(/^http/, 'ws')}/ws/1.0/worker/connect/`, {
      headers: { token: this.token },
    });
    this.socket = socket;
    socket.on('message', (data) => {
      this.queue = this.queue.then(() => this.handle(String(data))).catch((error: unknown) => {
        this.options.onEvent?.(`${this.options.name}: ${String(error)}`);
      });
    });
    socket.on('close', () => {
      if (!this.stopped) setTimeout(() => this.connect(), 1000 + Math.random() * 2000);
    });
    socket.on('error', () => {});
  }

  private async handle(text: string): Promise<void> {
    const message = JSON.parse(text) as { text?: string; reason_code?: string };
    if (message.reason_code === 'TOKEN_DISABLED') {
      this.stop();
    } else if (message.text === 'request_dynamic_metadata') {
      await this.call('PUT', '/1.0/worker/dynamic-metadata/', SIMULATED_METADATA);
    } else if (message.text === 'work_request_available') {
      const response = await this.call('GET', '/1.0/work-request/get-next-for-worker/');
      if (response.status !== 200) return;
      const task = JSON.parse(response.text) as { id: number; task_name: string };
      const duration = this.options.duration(task);
      this.options.onEvent?.(`${this.options.name} runs work request ${task.id} (${task.task_name})`);
      await new Promise((resolve) => setTimeout(resolve, duration));
      if (this.stopped) return;
      await this.call('PUT', `/1.0/work-request/${task.id}/completed/`, {
        result: 'success',
        output_data: { runtime_statistics: { duration: Math.round(duration / 1000), cpu_time: 0 } },
      });
    }
  }

  /**
   * One API call, tried again (up to 10 times, 500 ms apart) when the connection fails or a
   * proxy answers 502/503 because the server behind it went away: another replica answers.
   */
  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const answer = await send(
        this.agent,
        `${this.options.apiUrl}${path}`,
        method,
        { token: this.token, ...(body ? { 'content-type': 'application/json' } : {}) },
        body ? JSON.stringify(body) : undefined,
      ).catch((error: unknown) => error as Error);
      const unreachable = answer instanceof Error || answer.status === 502 || answer.status === 503;
      if (!unreachable || attempt === 10 || this.stopped) {
        if (answer instanceof Error) throw answer;
        return answer;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
