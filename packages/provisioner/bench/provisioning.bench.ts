/**
 * `npm run bench`: (1) plan one tick for 50 pools, 5,000 live instances and the scheduler
 * bench's demand shape (5 scopes × 100 requirement sets ≈ 500 unmet groups), pure, median of
 * 7 runs; (2) launch 1 and then 50 instances through the tick's launch path against the
 * Hetzner fake answering every call after 200 ms, on real PostgreSQL.
 */
import { cpus } from 'node:os';
import { startHetznerFake } from '@buildfleet/hetzner-fake';
import { connectDatabase, migrateUp, upsertProviderAccount, upsertWorkerPool } from '@buildfleet/models';
import { createTestDatabase, prepareTemplate, stopTemplateServer } from '@buildfleet/testdb';
import { launchWorkers, plan, type PlanningSnapshot } from '../src';
import { ago, NOW, pendingDemand, testInstance, testPool } from '../test/builders';

const POOLS = 50;
const INSTANCES = 5_000;
const SCOPES = 5;
const SETS = 100;
const LATENCY_MS = 200;

function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function snapshot(): PlanningSnapshot {
  const rand = random(42);
  const pools = Array.from({ length: POOLS }, (_, p) =>
    testPool({
      name: `pool-${p + 1}`,
      limits: { max_active_instances: 80 + Math.floor(rand() * 80), target_max_seconds_per_month: rand() < 0.3 ? 5_000_000 : null },
      scopeLimits: Object.fromEntries(Array.from({ length: SCOPES }, (_, s) => [`scope-${s + 1}`, { target_latency_seconds: 600 + Math.floor(rand() * 3000) }])),
      usedSeconds: Math.floor(rand() * 4_000_000),
      instances: Array.from({ length: INSTANCES / POOLS }, () =>
        testInstance({
          instanceCreatedAt: ago(Math.floor(rand() * 20_000)),
          connectedAt: rand() < 0.1 ? null : ago(60),
          activeRequests: rand() < 0.7 ? 1 : 0,
          completedRequests: Math.floor(rand() * 5),
          lastCompletedAt: rand() < 0.5 ? ago(Math.floor(rand() * 5000)) : null,
        }),
      ),
    }),
  );
  const demand = [];
  for (let s = 1; s <= SCOPES; s++) {
    for (let set = 1; set <= SETS; set++) {
      const candidates = pools.filter(() => rand() < 0.2).map((p) => p.name);
      demand.push(
        pendingDemand({
          scope: `scope-${s}`,
          requirementSetId: String(set),
          requirementSet: `task:sbuild set-${set}`,
          pending: 1 + Math.floor(rand() * 40),
          maxPriority: Math.floor(rand() * 4),
          oldestCreatedAt: ago(Math.floor(rand() * 100_000)),
          pools: candidates,
        }),
      );
    }
  }
  const medianTaskSeconds = Object.fromEntries(Array.from({ length: SETS }, (_, i) => [String(i + 1), 120 + Math.floor(rand() * 3000)]));
  return { demand, pools, medianTaskSeconds };
}

async function main() {
  const input = snapshot();
  const runs: number[] = [];
  let decisions = 0;
  for (let run = 0; run < 7; run++) {
    const t0 = process.hrtime.bigint();
    decisions = plan(input, NOW).decisions.length;
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const planMs = Math.round(median(runs) * 10) / 10;
  console.log(`plan: ${POOLS} pools, ${INSTANCES} instances, ${input.demand.length} demand groups -> ${decisions} decisions`);
  console.log(`plan, median of 7: ${planMs} ms  [${runs.map((r) => r.toFixed(1)).join(', ')}]`);

  await prepareTemplate({ name: 'provisioner-bench', migrate: (url) => migrateUp(url).then(() => undefined) });
  const database = await createTestDatabase();
  const db = connectDatabase(database.url, 4);
  const fake = await startHetznerFake({ token: 'bench-token-0123456789', latencyMs: LATENCY_MS, rateLimit: { limit: 10_000, windowMs: 3_600_000 } });
  try {
    await upsertProviderAccount(db, {
      name: 'hetzner',
      provider_type: 'hetzner',
      configuration: { api_url: fake.url },
      credentials: { api_token: fake.token },
    });
    for (const name of ['bench-one', 'bench-fifty']) {
      await upsertWorkerPool(db, {
        name,
        providerAccount: 'hetzner',
        architectures: ['amd64'],
        specifications: { server_type: 'cpx22', image_name: 'debian-13', location: 'fsn1', debusine_install_source: 'pre-installed' },
      });
    }
    const options = { bootstrap: { apiUrl: 'https://debusine.example.net/api' } };
    const timed = async (pool: string, count: number) => {
      const t0 = process.hrtime.bigint();
      const result = await launchWorkers(db, pool, count, options);
      if (result.launched.length !== count) throw new Error(`${pool}: launched ${result.launched.length} of ${count}`);
      return Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
    };
    const launch1Ms = await timed('bench-one', 1);
    const launch50Ms = await timed('bench-fifty', 50);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}`);
    console.log(`launch 1 (Hetzner fake, ${LATENCY_MS} ms per call): ${launch1Ms} ms`);
    console.log(`launch 50: ${launch50Ms} ms (${(launch50Ms / launch1Ms).toFixed(2)}× the time of 1)`);
    console.log(JSON.stringify({ bench: 'provisioning', plan_ms: planMs, launch1_ms: launch1Ms, launch50_ms: launch50Ms }));
  } finally {
    await fake.close();
    await db.close();
    await database.drop();
    await stopTemplateServer();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
