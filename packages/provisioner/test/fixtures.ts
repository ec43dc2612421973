import { InMemoryDummyCloud } from '@buildfleet/cloud-drivers';
import {
  connectedSinceSql,
  connectDatabase,
  type Database,
  generateTokenKey,
  hashTokenKey,
  linkScopePool,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
  type WorkerPoolInput,
} from '@buildfleet/models';
import { createWorkRequest, refreshWorkerTags, runDispatchPass, type WorkRequestInput } from '@buildfleet/scheduler';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { QueryTypes } from 'sequelize';
import { startOfMonth, type TickOptions } from '../src';

/** A Database on this test file's own migrated clone. */
export function useDatabase(): { readonly db: Database } {
  return useConnectedDatabase((url) => connectDatabase(url, 8));
}

export const API_URL = 'https://debusine.example.net/api';

export async function resetDatabase(db: Database): Promise<void> {
  await db.sequelize.query(
    `truncate provisioning_decisions, worker_pool_health, worker_pool_statistics, worker_pool_task_execution_statistics,
              work_requests, workers, tokens, scope_worker_pools, worker_pools, provider_accounts, scopes, requirement_sets,
              dummy_instances
     restart identity cascade`,
  );
  await upsertProviderAccount(db, { name: 'dummy', provider_type: 'dummy' });
  await upsertScope(db, { name: 'debian' });
}

/** A dummy pool on amd64, no limits besides the defaults, plus overrides. */
export async function addPool(db: Database, input: Partial<WorkerPoolInput> & { name: string }): Promise<void> {
  await upsertWorkerPool(db, {
    providerAccount: 'dummy',
    architectures: ['amd64'],
    specifications: { provider_type: 'dummy' },
    ...input,
  });
}

export async function linkScope(db: Database, scope: string, pool: string, limits: Record<string, unknown>, priority = 0) {
  await linkScopePool(db, { scope, pool, priority, limits });
}

/** A pending noop request of scope debian (or as given). */
export async function addRequest(db: Database, input: Partial<WorkRequestInput> = {}): Promise<string> {
  return (await createWorkRequest(db, { scope: 'debian', taskName: 'noop', ...input })).id;
}

export async function addRequests(db: Database, count: number, input: Partial<WorkRequestInput> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await addRequest(db, input));
  return ids;
}

/** Tick options on a dummy cloud of the test's own, with retries that never wait. */
export function tickOptions(cloud: InMemoryDummyCloud, overrides: Partial<TickOptions> = {}): TickOptions {
  return {
    bootstrap: { apiUrl: API_URL },
    driverOptions: { dummyCloud: cloud },
    retry: { attempts: 2, sleep: async () => {} },
    ...overrides,
  };
}

export { InMemoryDummyCloud };

/**
 * What happens when the booted instance registers and connects: the worker gets its own
 * enabled token (the activation token is spent), reports noop-capable metadata, and connects.
 */
export async function connectWorker(db: Database, name: string): Promise<void> {
  const [worker] = await db.sequelize.query<{ id: string }>(
    `with token as (insert into tokens (hash, enabled) values ($2, true) returning id),
     worker as (
       update workers set token_id = (select id from token), activation_token_id = null,
              dynamic_metadata = '{"system:worker_type": "external", "noop:version": 1, "system:host_architecture": "amd64"}'
        where name = $1 returning id
     ), session as (
       insert into worker_sessions (worker_id, process_id, expires_at)
       select id, gen_random_uuid(), now() + interval '1 hour' from worker
     )
     select id from worker`,
    { bind: [name, hashTokenKey(generateTokenKey())], type: QueryTypes.SELECT },
  );
  await refreshWorkerTags(db, [worker!.id]);
}

/** Runs a dispatch pass and marks what it assigned running, as the worker would. */
export async function dispatchAndStart(db: Database): Promise<void> {
  const { assignments } = await runDispatchPass(db);
  await db.sequelize.query(`update work_requests set status = 'running', started_at = now() where id = any($1::bigint[])`, {
    bind: [assignments.map((a) => a.workRequestId)],
  });
}

export interface WorkerRow {
  name: string;
  pool: string | null;
  instance_created_at: Date | null;
  instance_id: string | null;
  connected_at: Date | null;
}

export async function workerRows(db: Database, pool?: string): Promise<WorkerRow[]> {
  return db.sequelize.query<WorkerRow>(
    `select w.name, p.name as pool, w.instance_created_at, w.worker_pool_data ->> 'instance-id' as instance_id,
            ${connectedSinceSql('w.id')} as connected_at
       from workers w left join worker_pools p on p.id = w.worker_pool_id
      where $1::text is null or p.name = $1::text order by w.name`,
    { bind: [pool ?? null], type: QueryTypes.SELECT },
  );
}

export async function liveWorkers(db: Database, pool?: string): Promise<string[]> {
  return (await workerRows(db, pool)).filter((w) => w.instance_created_at).map((w) => w.name);
}

export async function requestRows(db: Database) {
  return db.sequelize.query<{ id: string; status: string; worker: string | null; retry_count: number; supersedes_id: string | null }>(
    `select r.id, r.status, w.name as worker, r.retry_count, r.supersedes_id
       from work_requests r left join workers w on w.id = r.worker_id order by r.id`,
    { type: QueryTypes.SELECT },
  );
}

/**
 * Waits, when the calendar month (UTC) is younger than `seconds`, until it is not: a test that
 * ages an instance by `seconds` and expects this month's budget spent needs that much month
 * behind it (this month's usage starts at its first instant).
 */
export async function monthOlderThan(seconds: number): Promise<void> {
  const now = new Date();
  const wait = startOfMonth(now).getTime() + seconds * 1000 - now.getTime();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 1000));
}

/** Moves an instance's start, its connection and its work's times back by `seconds`, as if time had passed. */
export async function ageWorker(db: Database, name: string, seconds: number): Promise<void> {
  await db.sequelize.query(
    `with worker as (
       update workers set instance_created_at = instance_created_at - $2 * interval '1 second'
        where name = $1 returning id
     ), session as (
       update worker_sessions set connected_at = connected_at - $2 * interval '1 second'
        where worker_id = (select id from worker)
     )
     update work_requests set created_at = created_at - $2 * interval '1 second',
                              started_at = started_at - $2 * interval '1 second',
                              completed_at = completed_at - $2 * interval '1 second'
      where worker_id = (select id from worker)`,
    { bind: [name, seconds] },
  );
}
