import { connectedSinceSql, type Database, endWorkerLeases, generateTokenKey } from '@buildfleet/models';
import { placeWorkRequests, runDispatchPass, settleNextForWorker, WORK_ASSIGNED_CHANNEL } from '@buildfleet/scheduler';
import { WebSocket } from 'ws';
import { rawUpgrade } from './upgrade';
import { MAX_SESSION_MESSAGE_BYTES, setWorkerEnabled, WEBSOCKET_PATH } from '../src';
import {
  addWorker,
  addWorkRequest,
  assign,
  resetDatabase,
  row,
  recordingLogger,
  rows,
  startApi,
  type TestWorker,
  useDatabase,
  waitFor,
  workerMetadata,
} from './fixtures';

const database = useDatabase();
let db: Database;
let api: Awaited<ReturnType<typeof startApi>>;
let worker: TestWorker;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  db = database.db;
  api = await startApi(db, { metadataIntervalMs: 200 });
});
afterAll(() => api.close());
beforeEach(async () => {
  await resetDatabase(db);
  worker = await addWorker(db, { name: 'builder', connected: false });
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

/** Connects as the worker does (its token in a `token` header) and records the frames it receives. */
function connect(key: string, apiUrl = api.apiUrl) {
  const socket = new WebSocket(`${apiUrl.replace('http', 'ws')}${WEBSOCKET_PATH.slice('/api'.length)}`, { headers: { token: key } });
  sockets.push(socket);
  const frames: Record<string, string>[] = [];
  socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const received = (text: string, times = 1) =>
    waitFor(`${times} × "${text}"`, async () => (frames.filter((f) => f.text === text || f.type === text).length >= times ? frames : undefined), 5000);
  return { socket, frames, closed, received };
}

/** The worker's report that request `id` succeeded, as debusine-worker sends it. */
const reportSuccess = (id: string, apiUrl = api.apiUrl) =>
  fetch(`${apiUrl}/1.0/work-request/${id}/completed/`, {
    method: 'PUT',
    headers: { token: worker.key, 'content-type': 'application/json' },
    body: JSON.stringify({ result: 'success' }),
  });

const connectedAt = async () =>
  (await row<{ connected_at: Date | null }>(db, `select ${connectedSinceSql('$1::bigint')} as connected_at`, [worker.id])).connected_at;
const leases = () =>
  rows<{ process_id: string; live: boolean }>(
    db,
    'select process_id, expires_at > now() as live from worker_sessions where worker_id = $1 order by id',
    [worker.id],
  );

describe('the worker WebSocket', () => {
  it('connects on the path with repeated slashes, as a worker with a trailing-slash api-url asks', async () => {
    const socket = new WebSocket(`${api.apiUrl.replace('http', 'ws')}//ws/1.0/worker/connect/`, { headers: { token: worker.key } });
    sockets.push(socket);
    const first = await new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
    expect(JSON.parse(first)).toMatchObject({ text: 'connected' });
  });

  it('refuses an upgrade on any other path with a 404 and closes it within a second', async () => {
    const { status, closedAfterMs } = await rawUpgrade(api.apiUrl, '/api/1.0/worker/register/');
    expect(status).toMatch(/^HTTP\/1\.1 404 /);
    expect(closedAfterMs).toBeLessThan(1000);
  });

  it('rejects an unknown token with TOKEN_DISABLED and closes', async () => {
    const session = connect(generateTokenKey());

    await session.closed;
    expect(session.frames).toEqual([
      { type: 'connection_rejected', reason: 'No token header, token not associated to a worker or not enabled', reason_code: 'TOKEN_DISABLED' },
    ]);
  });

  it('marks the worker connected and asks for its metadata, again every interval', async () => {
    const session = connect(worker.key);

    await session.received('connected');
    expect(await connectedAt()).not.toBeNull();
    await session.received('request_dynamic_metadata', 3);
    expect(session.frames.some((f) => f.text === 'work_request_available')).toBe(false);
  });

  it('tells a worker that connects with work assigned to fetch it', async () => {
    await assign(db, await addWorkRequest(db), worker.id);

    await connect(worker.key).received('work_request_available');
  });

  it('tells the worker when a scheduling pass, in any process, assigns it work', async () => {
    const session = connect(worker.key);
    await session.received('connected');
    await addWorkRequest(db);

    const { assignments } = await runDispatchPass(db);

    expect(assignments.map((a) => a.workerName)).toEqual(['builder']);
    await session.received('work_request_available');
  });

  it("after a completion, settles that worker's next request and announces it, without a pass over the fleet", async () => {
    const session = connect(worker.key);
    await session.received('connected');
    await addWorker(db, { name: 'idle-other' });
    const done = await addWorkRequest(db);
    await assign(db, done, worker.id, 'running');
    const next = await addWorkRequest(db);
    await addWorkRequest(db);

    const response = await reportSuccess(done);

    expect(response.status).toBe(200);
    await session.received('work_request_available');
    expect(await rows(db, 'select id, worker_id from work_requests where status = $1 order by id', ['pending'])).toEqual([
      { id: next, worker_id: worker.id },
      // A full pass would have given the idle worker the last one; per-event dispatch leaves it to the next pass.
      { id: expect.any(String), worker_id: null },
    ]);
  });

  it("gives the worker its next request in the completion's own round trip: it is the worker's when the 200 arrives", async () => {
    const session = connect(worker.key);
    await session.received('connected');
    const done = await addWorkRequest(db);
    await assign(db, done, worker.id, 'running');
    const next = await addWorkRequest(db);
    // Checked configurable, as its creation through the API does: a request the settle meets
    // unchecked is handed back, checked, and given after the answer.
    expect(await placeWorkRequests(db, [next])).toEqual({ placed: [], passWanted: false });

    const response = await reportSuccess(done);

    expect(response.status).toBe(200);
    expect(await rows(db, 'select id, status, worker_id from work_requests order by id')).toEqual([
      { id: done, status: 'completed', worker_id: worker.id },
      { id: next, status: 'pending', worker_id: worker.id },
    ]);
    await session.received('work_request_available');
  });

  it('completes the request when settling the next one fails, and settles it again by itself', async () => {
    const logger = recordingLogger();
    const own = await startApi(db, { logger });
    const session = connect(worker.key, own.apiUrl);
    await session.received('connected');
    const other = await addWorker(db, { name: 'other' });
    const first = await addWorkRequest(db);
    const done = await addWorkRequest(db);
    await assign(db, done, worker.id, 'running');
    const next = await addWorkRequest(db);
    // The other worker's settle takes the first request and checks the next one ahead, so the
    // completion's own settle claims it without handing it back first.
    expect(await settleNextForWorker(db, other.id)).toBe(first);
    // Any claim fails until the trigger is dropped: the settle inside the completion, then the one after it.
    await db.sequelize.query(`create function refuse_claims() returns trigger language plpgsql as $$
      begin raise exception 'claims refused by the test'; end $$`);
    await db.sequelize.query(`create trigger refuse_claims before update of worker_id on work_requests
      for each row when (new.worker_id is not null) execute function refuse_claims()`);
    try {
      const response = await reportSuccess(done, own.apiUrl);

      expect(response.status).toBe(200);
      expect(await rows(db, 'select id, status, worker_id from work_requests order by id')).toEqual([
        { id: first, status: 'pending', worker_id: other.id },
        { id: done, status: 'completed', worker_id: worker.id },
        { id: next, status: 'pending', worker_id: null },
      ]);
      await waitFor('the settle after it failed too', async () => (logger.lines.some((l) => l.includes('scheduling after a completion failed')) ? true : undefined), 5000);
      expect(logger.lines.filter((l) => l.includes('claims refused by the test'))).toEqual([
        expect.stringMatching(/^worker-api: settling worker \d+'s next request after a completion failed \(P0001: claims refused by the test\); settling it again$/),
        'worker-api: scheduling after a completion failed: claims refused by the test',
      ]);
    } finally {
      await db.sequelize.query('drop trigger refuse_claims on work_requests; drop function refuse_claims()');
      await own.close();
    }
  });

  it('after a metadata report, claims a request the worker can now run and announces it', async () => {
    const session = connect(worker.key);
    await session.received('connected');
    const waiting = await addWorkRequest(db);

    const response = await fetch(`${api.apiUrl}/1.0/worker/dynamic-metadata/`, {
      method: 'PUT',
      headers: { token: worker.key, 'content-type': 'application/json' },
      body: JSON.stringify(workerMetadata()),
    });

    expect(response.status).toBe(204);
    await session.received('work_request_available');
    expect(await row(db, 'select worker_id from work_requests where id = $1', [waiting])).toEqual({ worker_id: worker.id });
  });

  it('announces work a pass gave once, not again when the worker reports its metadata before fetching it', async () => {
    const session = connect(worker.key);
    await session.received('connected');
    const given = await addWorkRequest(db);
    await runDispatchPass(db);
    await session.received('work_request_available');
    const other = await addWorker(db, { name: 'other', connected: false });
    const marker = connect(other.key);
    await marker.received('connected');

    const response = await fetch(`${api.apiUrl}/1.0/worker/dynamic-metadata/`, {
      method: 'PUT',
      headers: { token: worker.key, 'content-type': 'application/json' },
      body: JSON.stringify(workerMetadata()),
    });
    expect(response.status).toBe(204);
    await api.api.settled();
    // Notifications reach the sessions in the order sent: once this one arrives, a second
    // announcement from the settle above would have too.
    await db.sequelize.query('select pg_notify($1, $2)', { bind: [WORK_ASSIGNED_CHANNEL, other.id] });
    await marker.received('work_request_available');

    expect(session.frames.filter((f) => f.text === 'work_request_available')).toHaveLength(1);
    const next = await fetch(`${api.apiUrl}/1.0/work-request/get-next-for-worker/`, { headers: { token: worker.key } });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { id: number }).id).toBe(Number(given));
  });

  it('announces work assigned while its notification connection was down, once it is back', async () => {
    const session = connect(worker.key);
    await session.received('connected');
    await db.sequelize.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'buildfleet-worker-api' and datname = current_database()`,
    );

    await assign(db, await addWorkRequest(db), worker.id); // no NOTIFY: as if it had been lost

    await session.received('work_request_available');
  });

  it('closes the session with TOKEN_DISABLED when the token is disabled, and takes back its pending work', async () => {
    const session = connect(worker.key);
    await session.received('connected');
    const pending = await addWorkRequest(db);
    await assign(db, pending, worker.id);

    await setWorkerEnabled(db, 'builder', false);

    await session.closed;
    expect(session.frames).toContainEqual({ type: 'connection_closed', reason: 'Token has been disabled', reason_code: 'TOKEN_DISABLED' });
    await waitFor('the worker to be disconnected', async () => ((await connectedAt()) === null ? true : undefined));
    expect(await rows(db, 'select worker_id from work_requests')).toEqual([{ worker_id: null }]);
  });

  it('ends the session\'s lease when the worker goes away', async () => {
    const session = connect(worker.key);
    await session.received('connected');

    session.socket.terminate();

    await waitFor('the worker to be disconnected', async () => ((await connectedAt()) === null ? true : undefined));
  });

  it('keeps the worker connected while another of its sessions lasts', async () => {
    const first = connect(worker.key);
    const second = connect(worker.key);
    await first.received('connected');
    await second.received('connected');

    first.socket.close();
    await first.closed;
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(await connectedAt()).not.toBeNull();
  });
});

describe('session leases across processes', () => {
  it('leaves the sessions of other processes untouched when a process starts and stops', async () => {
    const held = connect(worker.key);
    await held.received('connected');
    const other = await addWorker(db, { name: 'elsewhere', connected: false });

    const replica = await startApi(db);
    const there = connect(other.key, replica.apiUrl);
    await there.received('connected');
    await replica.close();
    await there.closed;

    expect(await leases()).toEqual([{ process_id: api.api.processId, live: true }]);
    expect(await connectedAt()).not.toBeNull();
    expect(await rows(db, 'select process_id, expires_at > now() as live from worker_sessions where worker_id = $1', [other.id])).toEqual([
      { process_id: replica.api.processId, live: false },
    ]);
  });

  it('keeps the worker connected while a session another process holds lasts', async () => {
    const replica = await startApi(db);
    try {
      const here = connect(worker.key);
      const there = connect(worker.key, replica.apiUrl);
      await here.received('connected');
      await there.received('connected');

      here.socket.close();
      await here.closed;
      await waitFor('the closed session\'s lease to end', async () => ((await leases()).filter((l) => l.live).length === 1 ? true : undefined));

      expect(await connectedAt()).not.toBeNull();
      expect((await leases()).find((l) => l.live)?.process_id).toBe(replica.api.processId);
    } finally {
      await replica.close();
    }
  });

  it('renews the leases it holds, so a session outlives many leases', async () => {
    const replica = await startApi(db, { sessionLeaseMs: 600 });
    try {
      const session = connect(worker.key, replica.apiUrl);
      await session.received('connected');

      await new Promise((resolve) => setTimeout(resolve, 2000));

      expect(await connectedAt()).not.toBeNull();
      expect(session.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      await replica.close();
    }
  });

  it('counts a worker disconnected once the lease of a process that stopped renewing lapses', async () => {
    // What a SIGKILLed process leaves behind: a session row nobody renews.
    await db.sequelize.query(
      `insert into worker_sessions (worker_id, process_id, expires_at) values ($1, gen_random_uuid(), now() + interval '700 milliseconds')`,
      { bind: [worker.id] },
    );
    await addWorkRequest(db);
    expect(await connectedAt()).not.toBeNull();

    await waitFor('the lease to lapse', async () => ((await connectedAt()) === null ? true : undefined), 3000);

    expect((await runDispatchPass(db)).assignments).toEqual([]);
  });

  it('closes a session whose lease another process ended, and the worker comes back with a fresh one', async () => {
    const replica = await startApi(db, { sessionLeaseMs: 600 });
    try {
      const session = connect(worker.key, replica.apiUrl);
      await session.received('connected');

      await endWorkerLeases(db, [worker.id]);

      await session.closed;
      expect(await connectedAt()).toBeNull();
      await connect(worker.key, replica.apiUrl).received('connected');
      expect(await connectedAt()).not.toBeNull();
    } finally {
      await replica.close();
    }
  });
});

describe('what a process keeps per session', () => {
  it('holds at most maxSessions sockets: the next upgrade gets 503, and a freed slot is taken again', async () => {
    const bounded = await startApi(db, { maxSessions: 2 });
    try {
      const first = connect(worker.key, bounded.apiUrl);
      // A refused token holds a slot until its socket closes, as any upgraded socket does.
      const other = await addWorker(db, { name: 'other', connected: false });
      await first.received('connected');
      await connect(other.key, bounded.apiUrl).received('connected');

      const refused = await rawUpgrade(bounded.apiUrl, WEBSOCKET_PATH);
      expect(refused.status).toMatch(/^HTTP\/1\.1 503 /);
      expect(refused.closedAfterMs).toBeLessThan(1000);

      first.socket.close();
      await first.closed;
      const retry = await waitFor(
        'the freed slot',
        async () => {
          const attempt = connect(worker.key, bounded.apiUrl);
          const upgraded = await new Promise<boolean>((resolve) => {
            attempt.socket.once('open', () => resolve(true));
            attempt.socket.once('error', () => resolve(false));
          });
          return upgraded ? attempt : undefined;
        },
        5000,
      );
      await retry.received('connected');
    } finally {
      await bounded.close();
    }
  });

  it('closes a session whose worker sends a message larger than MAX_SESSION_MESSAGE_BYTES (1009) instead of buffering it', async () => {
    const session = connect(worker.key);
    await session.received('connected');
    const code = new Promise<number>((resolve) => session.socket.once('close', (closeCode: number) => resolve(closeCode)));

    session.socket.send('x'.repeat(MAX_SESSION_MESSAGE_BYTES + 1));

    expect(await code).toBe(1009);
  });
});
