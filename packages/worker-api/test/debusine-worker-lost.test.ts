import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { connectedSinceSql, type Database } from '@buildfleet/models';
import { abortLostWork, abortWorkRequestsAsAdmin, createWorkRequest, getWorkRequest, runDispatchPass } from '@buildfleet/scheduler';
import { CHROOT, inChroot, redact, requireChroot, WorkerProcess } from './chroot';
import { addPoolMember, recordingLogger, resetDatabase, row, startApi, useDatabase, waitFor } from './fixtures';

/**
 * The real debusine-worker from the chroot, reaching the API through a proxy that can hold its
 * completion reports, as a slow proxy would: an abort while the report is held, then a worker
 * SIGKILLed mid-task that never comes back. Needs root.
 */
const HOME = '/var/lib/buildfleet-lost-test';

/** An HTTP and WebSocket pass-through to `target` that holds `PUT .../completed/` while `holding`. */
class HoldingProxy {
  holding = false;
  /** Held completions by work request id: releasing one forwards it and resolves to the API's status. */
  readonly held = new Map<string, () => Promise<number>>();
  private server: Server | undefined;

  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.forward(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      const upstream = connect(Number(this.target.port), this.target.hostname, () => {
        const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
        upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
        upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      const close = () => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.on('error', close).on('close', close);
      socket.on('error', close).on('close', close);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  close(): void {
    this.server?.closeAllConnections();
    this.server?.close();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const completed = /\/work-request\/(\d+)\/completed\/$/.exec(req.url ?? '');
    const send = () =>
      new Promise<number>((resolve) => {
        const upstream = httpRequest(
          { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            resolve(answer.statusCode ?? 502);
          },
        );
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      });
    if (completed && this.holding) {
      req.pause();
      this.held.set(completed[1]!, () => {
        req.resume();
        return send();
      });
    } else {
      void send();
    }
  }
}

describe('a real debusine-worker whose work is aborted or lost', () => {
  const database = useDatabase();
  let db: Database;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let proxy: HoldingProxy | undefined;
  const worker = new WorkerProcess(HOME);
  let member: { id: string; activationKey: string };

  const waitForWorker = <T>(what: string, check: () => Promise<T | undefined>) =>
    waitFor(what, check, 25_000).catch((error: Error) => {
      throw new Error(`${error.message}\ndebusine-worker output:\n${redact(worker.output).slice(-6000)}`);
    });

  /** A noop dispatched to the worker, run by it, and its completion held by the proxy. */
  async function heldNoop(): Promise<string> {
    proxy!.holding = true;
    const { id } = await createWorkRequest(db, { scope: 'debusine', taskName: 'noop', taskData: { result: true } });
    await runDispatchPass(db);
    await waitForWorker(`the completion of ${id} to be held`, async () => (proxy!.held.has(id) ? true : undefined));
    expect((await getWorkRequest(db, id)).status).toBe('running');
    return id;
  }

  beforeAll(async () => {
    requireChroot();
    db = database.db;
    await resetDatabase(db);
    api = await startApi(db, { logger: recordingLogger() });
    proxy = new HoldingProxy(new URL(api.apiUrl));
    const proxyUrl = await proxy.start();
    member = await addPoolMember(db, 'cloud', 'cloud-lost');
    const configDir = `${HOME}/.config/debusine/worker`;
    rmSync(inChroot(HOME), { recursive: true, force: true });
    mkdirSync(inChroot(configDir), { recursive: true });
    writeFileSync(inChroot(`${configDir}/config.ini`), `[General]\napi-url = ${proxyUrl}\nlog-level = DEBUG\n`, { mode: 0o600 });
    writeFileSync(inChroot(`${configDir}/activation-token`), `${member.activationKey}\n`, { mode: 0o600 });
    execFileSync('chroot', [CHROOT, 'chown', '-R', 'debusine-worker:debusine-worker', HOME]);
    worker.start();
    await waitForWorker('the worker to report task:noop', async () => {
      const current = await row<{ tags: string[] }>(db, 'select tags from workers where id = $1', [member.id]);
      return current.tags.includes('task:noop') ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await worker.stop('SIGKILL').catch(() => {});
    proxy?.close();
    rmSync(inChroot(HOME), { recursive: true, force: true });
    await api?.close();
  });

  it('ignores the late completion of a request aborted while it ran', async () => {
    const id = await heldNoop();

    await abortWorkRequestsAsAdmin(db, [id], { reason: 'not needed any more' });
    // Debusine's worker treats anything but 200 as a failed report: the late one is answered 200 and ignored.
    expect(await proxy!.held.get(id)!()).toBe(200);

    expect(await getWorkRequest(db, id)).toMatchObject({ status: 'aborted', result: '', errors: [{ message: 'not needed any more', code: 'aborted' }] });
  });

  it('aborts and retries the work of a worker SIGKILLed mid-task once it stays gone longer than the limit', async () => {
    const id = await heldNoop();

    await worker.stop('SIGKILL');
    await waitForWorker('the session lease to end', async () =>
      (await row<{ connected: Date | null }>(db, `select ${connectedSinceSql('$1::bigint')} as connected`, [member.id])).connected === null
        ? true
        : undefined,
    );
    expect((await abortLostWork(db, { lostAfterSeconds: 2 })).aborted).toEqual([]);
    // The server's lost-work loop, as `serve --lost-work-seconds 2` runs it.
    const lost = await waitForWorker('the lost work to be aborted', async () => {
      const { aborted, retries } = await abortLostWork(db, { lostAfterSeconds: 2 });
      return aborted.length ? { aborted, retries } : undefined;
    });

    expect(lost.aborted).toEqual([id]);
    expect(await getWorkRequest(db, id)).toMatchObject({
      status: 'aborted',
      result: 'error',
      errors: [{ message: 'The worker was disconnected for more than 2 s while this request ran on it', code: 'worker-failed' }],
      supersededBy: lost.retries[0]!.id,
    });
    expect(await getWorkRequest(db, lost.retries[0]!.id)).toMatchObject({ status: 'pending', retryCount: 1, supersedes: id });
  });
});
