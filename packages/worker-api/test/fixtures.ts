import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  connectDatabase,
  type Database,
  generateTokenKey,
  hashTokenKey,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
} from '@buildfleet/models';
import { createWorkRequest, refreshWorkerTags } from '@buildfleet/scheduler';
import { useConnectedDatabase } from '@buildfleet/testdb';
import express from 'express';
import { QueryTypes } from 'sequelize';
import { createActivationToken, type Logger, type WorkerApi, workerApi, type WorkerApiOptions } from '../src';

/** A Database on this test file's own migrated clone, open for the whole file. */
export function useDatabase(): { readonly db: Database } {
  return useConnectedDatabase((url) => connectDatabase(url, 8));
}

export async function resetDatabase(db: Database): Promise<void> {
  await db.sequelize.query(
    `truncate artifact_files, artifacts, work_requests, worker_pool_task_execution_statistics, workers, tokens,
              scope_worker_pools, worker_pools, provider_accounts, scopes, requirement_sets restart identity cascade`,
  );
  await upsertProviderAccount(db, { name: 'dummy', provider_type: 'dummy' });
  await upsertScope(db, { name: 'debusine' });
  await upsertWorkerPool(db, { name: 'cloud', providerAccount: 'dummy', architectures: ['amd64'], specifications: { provider_type: 'dummy' } });
}

/** Log lines kept for assertions (e.g. that no token key was ever logged). */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m) };
}

/** The API on a real HTTP server on 127.0.0.1, as `buildfleet serve` mounts it. */
export async function startApi(
  db: Database,
  options: Omit<WorkerApiOptions, 'db'> = {},
): Promise<{ api: WorkerApi; server: Server; apiUrl: string; close(): Promise<void> }> {
  const api = workerApi({ db, logger: recordingLogger(), ...options });
  const app = express();
  app.use('/api', api.router);
  const server = createServer(app);
  api.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    api,
    server,
    apiUrl: `http://127.0.0.1:${port}/api`,
    close: async () => {
      await api.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Metadata as trixie's debusine-worker 0.11.3 reports it in the chroot. */
export function workerMetadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'system:cpu_count': 2,
    'system:total_physical_memory': 25276063744,
    'system:worker_type': 'external',
    'system:host_architecture': 'amd64',
    'system:architectures': ['amd64', 'i386'],
    'executor:unshare:available': true,
    'executor:qemu:available': false,
    'noop:version': 1,
    'sbuild:version': 1,
    'sbuild:available': false,
    ...overrides,
  };
}

export interface TestWorker {
  id: string;
  name: string;
  key: string;
}

/** A registered worker with an enabled token (key returned), in `pool` when given, tagged from its metadata. */
export async function addWorker(
  db: Database,
  options: { name: string; pool?: string; enabled?: boolean; connected?: boolean } = { name: 'builder' },
): Promise<TestWorker> {
  const key = generateTokenKey();
  const [row] = await db.sequelize.query<{ id: string }>(
    `with token as (insert into tokens (hash, enabled) values ($1, $2) returning id),
     worker as (
       insert into workers (name, token_id, worker_pool_id, instance_created_at, dynamic_metadata)
       select $3, token.id, p.id, case when p.id is null then null else now() end, $6::jsonb
         from token left join worker_pools p on p.name = $4
       returning id
     ), session as (
       -- A session with a live lease, as a serving process would hold.
       insert into worker_sessions (worker_id, process_id, expires_at)
       select id, gen_random_uuid(), now() + interval '1 hour' from worker where $5
     )
     select id from worker`,
    {
      bind: [hashTokenKey(key), options.enabled ?? true, options.name, options.pool ?? null, options.connected ?? true, JSON.stringify(workerMetadata())],
      type: QueryTypes.SELECT,
    },
  );
  await refreshWorkerTags(db, [row!.id]);
  return { id: row!.id, name: options.name, key };
}

/** A stopped pool worker row, as the provisioner creates it, with a fresh activation key. */
export async function addPoolMember(
  db: Database,
  pool: string,
  name: string,
  lifetimeMs?: number,
): Promise<{ id: string; activationKey: string }> {
  const [row] = await db.sequelize.query<{ id: string }>(
    `with token as (insert into tokens (hash, enabled) values ($1, false) returning id)
     insert into workers (name, activation_token_id, worker_pool_id)
     select $2, token.id, p.id from token, worker_pools p where p.name = $3
     returning id`,
    { bind: [hashTokenKey(generateTokenKey()), name, pool], type: QueryTypes.SELECT },
  );
  const activationKey = await createActivationToken(db, row!.id, lifetimeMs);
  return { id: row!.id, activationKey };
}

export async function addWorkRequest(db: Database, taskData: Record<string, unknown> = { result: true }): Promise<string> {
  return (await createWorkRequest(db, { scope: 'debusine', taskName: 'noop', taskData })).id;
}

/** Assigns a work request to a worker directly, as a dispatch pass would. */
export async function assign(db: Database, workRequestId: string, workerId: string, status = 'pending'): Promise<void> {
  await db.sequelize.query(
    `update work_requests set worker_id = $2, status = $3, started_at = case when $3 = 'running' then now() end where id = $1`,
    { bind: [workRequestId, workerId, status] },
  );
}

export async function row<T extends object>(db: Database, sql: string, bind: unknown[] = []): Promise<T> {
  const [result] = await db.sequelize.query<T>(sql, { bind, type: QueryTypes.SELECT });
  return result!;
}

export async function rows<T extends object>(db: Database, sql: string, bind: unknown[] = []): Promise<T[]> {
  return db.sequelize.query<T>(sql, { bind, type: QueryTypes.SELECT });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The API on a real HTTP server for the whole file, over a freshly reset database, its log kept
 * for assertions. Call it before the file's own beforeAll, which may then seed the database.
 */
export function useStartedApi(
  database: { readonly db: Database },
  options: Omit<WorkerApiOptions, 'db' | 'logger'> = {},
): { readonly api: Awaited<ReturnType<typeof startApi>>; readonly logger: ReturnType<typeof recordingLogger> } {
  const logger = recordingLogger();
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  beforeAll(async () => {
    await resetDatabase(database.db);
    api = await startApi(database.db, { logger, ...options });
  });
  afterAll(() => api?.close());
  return {
    logger,
    get api() {
      if (!api) throw new Error('useStartedApi: only inside tests and hooks');
      return api;
    },
  };
}

/** An Express app with the API mounted under /api, for supertest; the API is closed after the file. */
export function useApp(database: { readonly db: Database }): { readonly app: express.Express; readonly api: WorkerApi } {
  let app: express.Express | undefined;
  let api: WorkerApi | undefined;
  beforeAll(() => {
    api = workerApi({ db: database.db, logger: recordingLogger() });
    app = express();
    app.use('/api', api.router);
  });
  // Scheduling a test's requests started must end before the next test truncates the tables.
  afterEach(async () => {
    await api?.settled();
  });
  afterAll(async () => {
    await api?.close();
  });
  return {
    get app() {
      if (!app) throw new Error('useApp: only inside tests and hooks');
      return app;
    },
    get api() {
      if (!api) throw new Error('useApp: only inside tests and hooks');
      return api;
    },
  };
}

/** Asserts a Debusine problem answer: the status, the exact content type, and the title. */
export function expectProblem(response: { status: number; headers: Record<string, string>; body: unknown }, status: number, title: string): void {
  expect({ status: response.status, contentType: response.headers['content-type'], title: (response.body as { title?: string }).title }).toEqual({
    status,
    contentType: 'application/problem+json',
    title,
  });
}
