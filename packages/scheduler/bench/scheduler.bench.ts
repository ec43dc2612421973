/**
 * `npm run bench`: one full scheduling pass (dispatch + unmet demand) over 10,000 pending
 * requests in about 100 requirement sets, 2,000 workers and 50 pools, with the bulk SQL
 * matcher and with the naive per-pair reference, in the same run.
 */
import {
  connectDatabase,
  type Database,
  hashTokenKey,
  linkScopePool,
  mergeRequirements,
  parseRequirements,
  requirementKey,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
} from '@buildfleet/models';
import { createTestDatabase, prepareTemplate, stopTemplateServer } from '@buildfleet/testdb';
import { migrateUp } from '@buildfleet/models';
import { cpus } from 'node:os';
import { describeUnmetDemand, refreshWorkerTags, requirementSetIdFor, runDispatchPass, taskRequirements } from '../src';
import { taskData } from '../test/task-data';
import { referenceDispatch, referenceUnmetDemand, type RefPool, type RefRequest, type RefWorker } from '../test/reference-matcher';

const SIZES = {
  requests: Number(process.env.BENCH_REQUESTS ?? 10_000),
  workers: Number(process.env.BENCH_WORKERS ?? 2_000),
  pools: Number(process.env.BENCH_POOLS ?? 50),
  scopes: 5,
  /** The share of workers already running work in every slot (BENCH_BUSY=0.9: a fleet nine-tenths busy). */
  busy: Number(process.env.BENCH_BUSY ?? 0),
};
const RUNS = 5;
const SITES = ['paris', 'berlin', 'oslo', 'rome', 'vienna'];

/** Deterministic pseudo-random numbers (mulberry32), so every run benches the same data. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function seed(db: Database) {
  const rand = random(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  await upsertProviderAccount(db, { name: 'dummy', provider_type: 'dummy' });
  for (let s = 1; s <= SIZES.scopes; s++) await upsertScope(db, { name: `scope-${s}` });

  const pools: RefPool[] = [];
  for (let p = 1; p <= SIZES.pools; p++) {
    const tags = [`site:${pick(SITES)}`, `memory_gib=${pick([8, 16, 32, 64])}`];
    const architectures = [rand() < 0.8 ? 'amd64' : 'arm64'];
    await upsertWorkerPool(db, {
      name: `pool-${p}`,
      providerAccount: 'dummy',
      architectures,
      tags,
      specifications: { provider_type: 'dummy' },
    });
    const links = new Map<number, number>();
    for (let s = 1; s <= SIZES.scopes; s++) {
      if (rand() < 0.3) {
        const priority = Math.floor(rand() * 5);
        await linkScopePool(db, { scope: `scope-${s}`, pool: `pool-${p}`, priority });
        links.set(s, priority);
      }
    }
    pools.push({ id: p, name: `pool-${p}`, tags, architectures, instanceWide: true, enabled: true, links });
  }

  const workers: RefWorker[] = [];
  const workerRows = [];
  for (let w = 1; w <= SIZES.workers; w++) {
    const poolId = w <= SIZES.workers * 0.2 ? null : 1 + (w % SIZES.pools);
    const arch = poolId ? pools[poolId - 1]!.architectures[0]! : rand() < 0.8 ? 'amd64' : 'arm64';
    const metadata = {
      'system:cpu_count': pick([2, 4, 8]),
      'system:total_physical_memory': pick([8, 16, 32, 64]) * 2 ** 30,
      'system:worker_type': 'external',
      'system:host_architecture': arch,
      'system:architectures': arch === 'amd64' ? ['amd64', 'i386'] : ['arm64'],
      'executor:unshare:available': true,
      'executor:incus-lxc:available': rand() < 0.3,
      'noop:version': 1,
      'sbuild:version': 1,
      'sbuild:available': rand() < 0.9,
      'autopkgtest:version': 1,
      'autopkgtest:available': rand() < 0.7,
    };
    const concurrency = rand() < 0.8 ? 1 : 2;
    const connectedAt = Math.floor(rand() * 1000);
    const active = w % 100 < Math.round(SIZES.busy * 100) ? concurrency : 0;
    workerRows.push({ name: `worker-${w}`, pool: poolId, metadata, concurrency, active, connectedAt, hash: hashTokenKey(`bench-${w}`) });
    workers.push({ id: w, poolId, metadata, adminTags: [], concurrency, active, available: true, connectedAt });
  }
  await db.sequelize.query(
    `with rows as (select * from json_to_recordset($1::json)
                     as x(name text, pool int, metadata jsonb, concurrency int, "connectedAt" int, hash text)),
          tokens as (insert into tokens (hash, enabled) select hash, true from rows returning id, hash),
          workers as (
            insert into workers (name, token_id, worker_pool_id, instance_created_at, dynamic_metadata, concurrency)
            select r.name, t.id, r.pool, case when r.pool is null then null else now() end, r.metadata, r.concurrency
              from rows r join tokens t on t.hash = r.hash order by r.name ~ '^worker-' , length(r.name), r.name
            returning id, name)
     insert into worker_sessions (worker_id, process_id, connected_at, expires_at)
     select w.id, gen_random_uuid(), timestamptz '2026-01-01' + r."connectedAt" * interval '1 second', now() + interval '1 day'
       from rows r join workers w on w.name = r.name`,
    { bind: [JSON.stringify(workerRows)] },
  );
  await refreshWorkerTags(db);
  // The busy workers' running work (noop requests, not part of the queue).
  await db.sequelize.query(
    `insert into work_requests (scope_id, task_name, status, worker_id, started_at)
     select 1, 'noop', 'running', w.id, now()
       from json_to_recordset($1::json) as x(name text, active int) join workers w on w.name = x.name, generate_series(1, x.active)`,
    { bind: [JSON.stringify(workerRows)] },
  );

  const shapes: { task: string; taskData: Record<string, unknown>; extra: string[] }[] = [];
  const seen = new Set<string>();
  while (shapes.length < 100) {
    const task = pick(['noop', 'sbuild', 'autopkgtest']);
    const data =
      task === 'noop'
        ? {}
        : taskData(task, { host_architecture: pick(['amd64', 'amd64', 'arm64']), ...(rand() < 0.2 ? { backend: 'incus-lxc' } : {}) });
    const extra = [
      ...(rand() < 0.5 ? [`memory_gib>=${pick([8, 16, 32])}`] : []),
      ...(rand() < 0.4 ? [`site:${pick(SITES)}`] : []),
    ];
    const key = JSON.stringify([task, data, extra]);
    if (!seen.has(key)) {
      seen.add(key);
      shapes.push({ task, taskData: data, extra });
    }
  }
  const shapeSets = [];
  for (const shape of shapes) {
    const requirements = mergeRequirements(taskRequirements('Worker', shape.task, shape.taskData), parseRequirements(shape.extra, 'r'));
    shapeSets.push({ ...shape, requirements, setId: await requirementSetIdFor(db, requirements) });
  }
  const requests: RefRequest[] = [];
  const requestRows = [];
  for (let r = 1; r <= SIZES.requests; r++) {
    const shape = pick(shapeSets);
    const scopeId = 1 + Math.floor(rand() * SIZES.scopes);
    const priority = Math.floor(rand() * 4);
    const createdAt = Math.floor(rand() * 100_000);
    requestRows.push({ scope: scopeId, task: shape.task, data: shape.taskData, set: shape.setId, priority, createdAt });
    requests.push({ id: r, scopeId, priority, createdAt, requirements: shape.requirements });
  }
  await db.sequelize.query(
    `insert into work_requests (scope_id, task_name, task_data, requirement_set_id, priority_base, created_at)
     select scope, task, data, set, priority, timestamptz '2026-01-01' + "createdAt" * interval '1 second'
       from json_to_recordset($1::json) as x(scope int, task text, data jsonb, set bigint, priority int, "createdAt" int)`,
    { bind: [JSON.stringify(requestRows)] },
  );
  await db.sequelize.query('analyze');
  return { pools, workers, requests };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main() {
  await prepareTemplate({ name: 'scheduler-bench', migrate: (url) => migrateUp(url).then(() => undefined) });
  const database = await createTestDatabase();
  const db = connectDatabase(database.url, 4);
  try {
    const started = Date.now();
    const data = await seed(db);
    console.log(
      `seeded ${SIZES.requests} requests, ${SIZES.workers} workers (${SIZES.busy * 100} % busy), ${SIZES.pools} pools in ${Date.now() - started} ms`,
    );

    const bulk: number[] = [];
    // The dispatch pass alone: in production unmet demand is described by its own readers (the
    // provisioner's cycle, the queue page), not by every pass.
    const dispatch: number[] = [];
    let assigned = 0;
    let unmetGroups = 0;
    // One unmeasured run first, so the JIT and PostgreSQL's caches are warm for both matchers.
    for (let run = -1; run < RUNS; run++) {
      await db.sequelize.query(`update work_requests set worker_id = null where status = 'pending'`);
      await db.sequelize.query('vacuum analyze work_requests');
      const t0 = process.hrtime.bigint();
      const { assignments } = await runDispatchPass(db);
      const t1 = process.hrtime.bigint();
      const unmet = await describeUnmetDemand(db);
      if (run >= 0) {
        bulk.push(Number(process.hrtime.bigint() - t0) / 1e6);
        dispatch.push(Number(t1 - t0) / 1e6);
      }
      assigned = assignments.length;
      unmetGroups = unmet.length;
    }
    const reference: number[] = [];
    let referenceAssigned = assigned;
    // BENCH_REFERENCE=0 skips the reference, for measuring how the bulk pass scales.
    for (let run = 0; run < (process.env.BENCH_REFERENCE === '0' ? 0 : 1); run++) {
      const t0 = process.hrtime.bigint();
      const result = referenceDispatch(data.pools, data.workers, data.requests);
      referenceUnmetDemand(data.pools, result.unassigned, requirementKey);
      if (run >= 0) reference.push(Number(process.hrtime.bigint() - t0) / 1e6);
      referenceAssigned = result.assignments.size;
    }
    if (referenceAssigned !== assigned) throw new Error(`bulk assigned ${assigned}, reference ${referenceAssigned}`);
    const bulkMs = Math.round(median(bulk) * 10) / 10;
    const dispatchMs = Math.round(median(dispatch) * 10) / 10;
    const referenceMs = reference.length ? Math.round(median(reference) * 10) / 10 : NaN;
    const ratio = Math.round((referenceMs / bulkMs) * 10) / 10;
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}`);
    console.log(`assigned ${assigned}; unmet groups ${unmetGroups}`);
    console.log(`bulk pass (dispatch + unmet demand), median of ${RUNS}: ${bulkMs} ms  [${bulk.map((b) => b.toFixed(0)).join(', ')}]`);
    console.log(`of which the dispatch pass alone, median of ${RUNS}: ${dispatchMs} ms  [${dispatch.map((d) => d.toFixed(0)).join(', ')}]`);
    console.log(`reference per-pair matcher, in memory, one run: ${referenceMs} ms`);
    console.log(`ratio: ${ratio}×`);
    console.log(JSON.stringify({ bench: 'scheduler', bulk_ms: bulkMs, dispatch_ms: dispatchMs, reference_ms: referenceMs, ratio }));
  } finally {
    await db.close();
    if (process.env.BENCH_KEEP_DB) console.log(`kept ${database.url}`);
    else await database.drop();
    await stopTemplateServer();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
