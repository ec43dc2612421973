import { Writable } from 'node:stream';
import { generateTokenKey } from '@buildfleet/models';
import { useTestDatabase } from '@buildfleet/testdb';
import { createStaticWorker } from '@buildfleet/worker-api';
import pino from 'pino';
import { WebSocket } from 'ws';
import { type RunningServer, startServer } from '../src';

const testDb = useTestDatabase();
let running: RunningServer;
const records: Record<string, unknown>[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logLines.push(line);
        records.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  running = await startServer({
    databaseUrl: testDb.url,
    port: 0,
    provision: false,
    selfRegistration: false,
    logger: pino({ level: 'info' }, capture),
  });
});
afterAll(async () => {
  await running.close();
});

const requestLines = () => records.filter((r) => r.msg === 'request');

/** Waits for the access-log line of a request whose answer was just read (it is written on 'close'). */
async function logLineFor(path: string, upgrade = false): Promise<Record<string, unknown>> {
  for (let i = 0; i < 50; i++) {
    const line = requestLines().find((r) => r.path === path && (r.upgrade === 'websocket') === upgrade);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no access-log line for ${path}`);
}

it('closes a WebSocket upgrade on /-/status/workers/ within a second', async () => {
  const started = Date.now();
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/-/status/workers/`);
  const { status, closedAfterMs } = await new Promise<{ status: number | undefined; closedAfterMs: number }>((resolve, reject) => {
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', reject);
    // With this listener ws leaves the socket to the server: it is closed only if the server closes it.
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      response.socket.once('close', () => resolve({ status: response.statusCode, closedAfterMs: Date.now() - started }));
    });
  });
  expect(status).toBe(404);
  expect(closedAfterMs).toBeLessThan(1000);
  expect(await logLineFor('/-/status/workers/', true)).toMatchObject({ method: 'GET', status: 404, upgrade: 'websocket' });
});

it('logs one line per HTTP request with method, path, status and milliseconds, never a query or a header', async () => {
  const secret = generateTokenKey();
  const before = requestLines().length;

  const page = await fetch(`${running.url}/-/status/workers/?token=${secret}`, { headers: { token: secret, authorization: `Bearer ${secret}` } });
  await page.text();
  const problem = await fetch(`${running.apiUrl}/1.0/no-such-endpoint/?key=${secret}`, { headers: { token: secret } });
  await problem.text();

  expect(await logLineFor('/-/status/workers/')).toMatchObject({ method: 'GET', status: 200, ms: expect.any(Number) });
  expect(await logLineFor('/api/1.0/no-such-endpoint/')).toMatchObject({ method: 'GET', status: 404 });
  expect(requestLines().length - before).toBe(2);
  expect(requestLines().every((line) => typeof line.path === 'string' && !String(line.path).includes('?'))).toBe(true);
  expect(logLines.join('\n')).not.toContain(secret);
});

it("names the worker in a worker's requests", async () => {
  const { activationKey } = await createStaticWorker(running.db, 'logged.example.org');
  const key = generateTokenKey();
  const registered = await fetch(`${running.apiUrl}/1.0/worker/register/`, {
    method: 'POST',
    headers: { token: activationKey, 'content-type': 'application/json' },
    body: JSON.stringify({ token: key, fqdn: 'logged.example.org', worker_type: 'external' }),
  });
  expect(registered.status).toBe(201);
  const next = await fetch(`${running.apiUrl}/1.0/work-request/get-next-for-worker/`, { headers: { token: key } });
  expect(next.status).toBe(204);

  expect(await logLineFor('/api/1.0/worker/register/')).toMatchObject({ status: 201, worker: 'logged-example-org' });
  expect(await logLineFor('/api/1.0/work-request/get-next-for-worker/')).toMatchObject({ status: 204, worker: 'logged-example-org' });
  expect(logLines.join('\n')).not.toContain(key);
  expect(logLines.join('\n')).not.toContain(activationKey);
});

it('refuses registration without an activation token when self-registration is off', async () => {
  const response = await fetch(`${running.apiUrl}/1.0/worker/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: generateTokenKey(), fqdn: 'stranger.example.org', worker_type: 'external' }),
  });
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await running.db.sequelize.query(`select 1 from workers where name = 'stranger-example-org'`, { plain: true })).toBeNull();
});

it('answers a status page address that is not valid percent-encoding with 400, not 500', async () => {
  const response = await fetch(`${running.url}/-/status/workers/%ZZ/`);
  expect(response.status).toBe(400);
  expect(await response.text()).toContain('not valid');
});
