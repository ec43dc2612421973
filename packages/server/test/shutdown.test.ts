import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { useTestDatabase } from '@buildfleet/testdb';
import { createStaticWorker } from '@buildfleet/worker-api';
import pino from 'pino';
import { startServer } from '../src';

const testDb = useTestDatabase();
const IN_FLIGHT = 200;

jest.setTimeout(60_000);

it(`answers all ${IN_FLIGHT} requests in flight when it shuts down, refuses new connections, and logs no error`, async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const running = await startServer({ databaseUrl: testDb.url, port: 0, provision: false, scheduleIntervalMs: 60_000, logger });
  const { worker, activationKey } = await createStaticWorker(running.db, 'drain-1');
  const key = randomBytes(16).toString('hex');
  const registered = await fetch(`${running.apiUrl}/1.0/worker/register/`, {
    method: 'POST',
    headers: { token: activationKey, 'content-type': 'application/json' },
    body: JSON.stringify({ token: key, fqdn: 'drain-1' }),
  });
  expect(registered.status).toBe(201);

  // Hold the worker's row, so every get-next-for-worker call waits inside the server.
  const hold = await running.db.sequelize.transaction();
  await running.db.sequelize.query('select 1 from workers where name = $1 for update', { bind: [worker.name], transaction: hold });
  // Each call is counted once its connection is open, so the shutdown starts with all of them
  // accepted, however slow the machine (a fixed pause lost one to the closed listener under load).
  const agent = new Agent({ maxSockets: Infinity });
  let connected = 0;
  const calls = Array.from(
    { length: IN_FLIGHT },
    () =>
      new Promise<number | string>((resolve) => {
        const call = request(`${running.apiUrl}/1.0/work-request/get-next-for-worker/`, { agent, headers: { token: key } }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode!));
        });
        call.on('socket', (socket) => socket.once('connect', () => connected++));
        call.on('error', (error) => resolve(String(error)));
        call.end();
      }),
  );
  while (connected < IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 500));

  const closed = running.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await expect(fetch(`${running.url}/-/status/workers/`)).rejects.toThrow();
  await hold.commit();

  expect(new Set(await Promise.all(calls))).toEqual(new Set([204]));
  await closed;
  agent.destroy();
  const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
  expect(logged.filter((entry) => entry.level >= 50)).toEqual([]);
  expect(logged.at(-1)?.msg).toBe('buildfleet stopped');
});
