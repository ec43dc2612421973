import {
  connectDatabase,
  type Database,
  hashTokenKey,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
  type WorkerPoolInput,
  type WorkerType,
} from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { randomBytes } from 'node:crypto';
import { createWorkRequest, refreshWorkerTags, type WorkRequestInput } from '../src';

/** A Database on this test file's own migrated clone, open for the whole file. */
export function useDatabase(): { readonly db: Database } {
  return useConnectedDatabase((url) => connectDatabase(url, 8));
}

export async function resetDatabase(db: Database): Promise<void> {
  await db.sequelize.query(
    `truncate work_requests, workers, tokens, scope_worker_pools, worker_pools, provider_accounts, scopes,
              requirement_sets restart identity cascade`,
  );
  await upsertProviderAccount(db, { name: 'dummy', provider_type: 'dummy' });
}

/** Metadata as trixie's debusine-worker 0.11.3 reports it, with overrides. */
export function workerMetadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'system:cpu_count': 4,
    'system:total_physical_memory': 16 * 2 ** 30,
    'system:worker_type': 'external',
    'system:host_architecture': 'amd64',
    'system:architectures': ['amd64', 'i386'],
    'executor:incus-lxc:available': false,
    'executor:unshare:available': true,
    'autopkgtest:version': 1,
    'autopkgtest:available': true,
    'noop:version': 1,
    'sbuild:version': 1,
    'sbuild:available': true,
    'mmdebstrap:version': 1,
    'mmdebstrap:available': false,
    ...overrides,
  };
}

export interface WorkerOptions {
  name: string;
  pool?: string;
  metadata?: Record<string, unknown>;
  adminTags?: string[];
  concurrency?: number;
  connected?: boolean;
  enabled?: boolean;
  connectedAt?: Date;
  /** (Default: external) */
  workerType?: WorkerType;
  /** A worker without a token, as Debusine's Celery worker is. (Default: false) */
  withoutToken?: boolean;
}

/** A worker with an enabled token, connected, its tags computed from its metadata. */
export async function addWorker(db: Database, options: WorkerOptions): Promise<string> {
  const token = options.withoutToken ? null : await db.models.Token.create({
    hash: hashTokenKey(randomBytes(8).toString('hex')),
    enabled: options.enabled ?? true,
    expireAt: null,
    userName: null,
  });
  const pool = options.pool ? await db.models.WorkerPool.findOne({ where: { name: options.pool } }) : null;
  const worker = await db.models.Worker.create({
    name: options.name,
    tokenId: token?.id ?? null,
    workerType: options.workerType ?? 'external',
    activationTokenId: null,
    workerPoolId: pool?.id ?? null,
    instanceCreatedAt: pool ? new Date() : null,
    dynamicMetadata: options.metadata ?? workerMetadata(),
    adminTags: options.adminTags ?? [],
    concurrency: options.concurrency ?? 1,
  });
  await refreshWorkerTags(db, [worker.id]);
  if (options.connected !== false) {
    // A session with a live lease, as a serving process would hold.
    await db.sequelize.query(
      `insert into worker_sessions (worker_id, process_id, connected_at, expires_at)
       values ($1::bigint, gen_random_uuid(), $2::timestamptz, now() + interval '1 hour')`,
      { bind: [worker.id, options.connectedAt ?? new Date()] },
    );
  }
  return worker.id;
}

export async function addPool(db: Database, input: Partial<WorkerPoolInput> & { name: string }): Promise<void> {
  await upsertWorkerPool(db, {
    providerAccount: 'dummy',
    architectures: ['amd64'],
    specifications: { provider_type: 'dummy' },
    ...input,
  });
}

export async function addScope(db: Database, name: string): Promise<void> {
  await upsertScope(db, { name });
}

export async function addRequest(
  db: Database,
  input: Partial<WorkRequestInput> & { createdAt?: Date } = {},
): Promise<string> {
  const { createdAt, ...rest } = input;
  const view = await createWorkRequest(db, { scope: 'debian', taskName: 'noop', ...rest });
  if (createdAt) await db.models.WorkRequest.update({ createdAt }, { where: { id: view.id } });
  return view.id;
}

/** Work request id → worker name, for every assigned request. */
export async function assignmentsByName(db: Database): Promise<Record<string, string>> {
  const [rows] = await db.sequelize.query(
    'select r.id, w.name from work_requests r join workers w on w.id = r.worker_id order by r.id',
  );
  return Object.fromEntries((rows as { id: string; name: string }[]).map((r) => [r.id, r.name]));
}
