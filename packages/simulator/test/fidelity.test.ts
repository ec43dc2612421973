/**
 * Fidelity: the replay must decide what the real provisioner decides. One generated day is
 * replayed twice on the same simulated clock: by `simulate` (buildfleet's policy, in memory), and
 * on a fresh PostgreSQL database through the real `tick()` with the dummy driver, the real
 * dispatch pass and the worker API's own start and completion writes. Every tick's decisions
 * must be the same, and so must every job's start.
 */
import {
  connectDatabase,
  type Database,
  generateTokenKey,
  hashTokenKey,
  linkScopePool,
  openWorkerSession,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
} from '@buildfleet/models';
import { type Decision, tick } from '@buildfleet/provisioner';
import { createWorkRequest, markRunning, refreshWorkerTags, runDispatchPass } from '@buildfleet/scheduler';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { completeWorkRequest } from '@buildfleet/worker-api';
import { QueryTypes } from 'sequelize';
import { buildfleetPolicy, generateTrace, parseTrace, type PolicyDecision, type Scenario, simulate, type Trace } from '../src';
import { EventQueue } from '../src/heap';

const ctx = useConnectedDatabase((url) => connectDatabase(url, 4));

/** Noon on the last day of a month: the budgets run out in the afternoon and are new at midnight. */
const START = '2026-03-31T12:00:00.000Z';
const BOOT_SECONDS = 45;

/** Two dummy-like pools (billed per second, as the dummy provider's billing period is none), fixed boot, no launch failures. */
const scenario: Scenario = {
  seed: 1,
  tickSeconds: 120,
  pools: [
    {
      name: 'dummy-small',
      billing: 'aws',
      price: { hourly: 0.05 },
      tags: [],
      architectures: ['amd64'],
      limits: { max_active_instances: 3, max_idle_seconds: 300 },
      boot: { medianSeconds: BOOT_SECONDS, sigma: 0 },
    },
    {
      name: 'dummy-large',
      billing: 'aws',
      price: { hourly: 0.2 },
      tags: [],
      architectures: ['amd64'],
      limits: { max_active_instances: 4, max_idle_seconds: 120, target_max_seconds_per_month: 4 * 3600 },
      boot: { medianSeconds: BOOT_SECONDS, sigma: 0 },
    },
  ],
  scopes: [
    { name: 'debian', pools: [{ pool: 'dummy-small', limits: { target_latency_seconds: 600 } }, { pool: 'dummy-large' }] },
    { name: 'ubuntu', pools: [{ pool: 'dummy-large', limits: { target_latency_seconds: 300, target_max_seconds_per_month: 3 * 3600 } }] },
  ],
};

const trace: Trace = parseTrace(
  generateTrace({
    seed: 5,
    start: START,
    days: 1,
    jobsPerDay: 50,
    burstsPerWeek: 7,
    burstSize: 12,
    tasks: [
      { scope: 'debian', task: 'noop', requirements: ['arch:amd64'], weight: 3, medianSeconds: 300, sigma: 0.8 },
      { scope: 'ubuntu', task: 'noop', requirements: ['arch:amd64'], weight: 1, medianSeconds: 500, sigma: 0.8, priority: 1 },
    ],
  }),
);

/** What the test's worker reports: an amd64 external worker that runs noop. */
const METADATA = { 'system:worker_type': 'external', 'system:host_architecture': 'amd64', 'noop:version': 1 };

interface TickDecisions {
  at: string;
  decisions: string[];
}

/** Decisions as both sides can word them; a termination's or drain's worker name is each side's own, so it is left out. */
function wording(d: Pick<PolicyDecision, 'kind' | 'reason' | 'pool' | 'count' | 'message'>): string {
  const base = `${d.kind} ${d.reason} ${d.pool ?? '-'} ×${d.count}`;
  return d.kind === 'terminate' || d.kind === 'drain' ? base : `${base}: ${d.message ?? ''}`;
}

function byTick(entries: { at: number; decision: string }[]): TickDecisions[] {
  const ticks = new Map<number, string[]>();
  for (const { at, decision } of entries) ticks.set(at, [...(ticks.get(at) ?? []), decision]);
  return [...ticks].map(([at, decisions]) => ({ at: new Date(at).toISOString(), decisions: decisions.sort() }));
}

/** The scenario's pools and scopes as rows: links ranked in the scope's order, a pool instance-wide only where every scope lists it (else it serves one scope). */
async function createScenario(db: Database, s: Scenario): Promise<void> {
  await upsertProviderAccount(db, { name: 'dummy', provider_type: 'dummy' });
  for (const scope of s.scopes) await upsertScope(db, { name: scope.name });
  for (const pool of s.pools) {
    const scopes = s.scopes.filter((scope) => scope.pools.some((link) => link.pool === pool.name)).map((scope) => scope.name);
    const instanceWide = scopes.length === s.scopes.length;
    await upsertWorkerPool(db, {
      name: pool.name,
      providerAccount: 'dummy',
      architectures: pool.architectures,
      tags: pool.tags,
      specifications: { provider_type: 'dummy' },
      limits: pool.limits ?? {},
      instanceWide,
      ...(instanceWide ? {} : { scope: scopes[0]! }),
    });
  }
  for (const scope of s.scopes) {
    for (const [rank, link] of scope.pools.entries()) {
      await linkScopePool(db, { scope: scope.name, pool: link.pool, priority: scope.pools.length - rank, limits: link.limits ?? {} });
    }
  }
}

/** The process holding the test workers' session leases. */
const PROCESS_ID = '00000000-0000-4000-8000-000000000001';

/**
 * The booted instance's worker: it swaps its activation token for its own (in SQL, as the worker
 * API's registration would: that check of the token's expiry runs on the database's clock, while
 * the token was issued at the simulated instant), connects (a session lease the test holds, as a
 * serving process would) and reports its metadata.
 */
async function bootWorker(db: Database, workerId: string): Promise<void> {
  await db.sequelize.query(
    `with token as (insert into tokens (hash, enabled) values ($2, true) returning id),
     spent as (delete from tokens where id = (select activation_token_id from workers where id = $1::bigint))
     update workers set token_id = (select id from token), activation_token_id = null, dynamic_metadata = $3::jsonb
      where id = $1::bigint`,
    { bind: [workerId, hashTokenKey(generateTokenKey()), JSON.stringify(METADATA)] },
  );
  await openWorkerSession(db, workerId, { processId: PROCESS_ID, leaseMs: 3_600_000 });
  await refreshWorkerTags(db, [workerId]);
}

type Event =
  | { kind: 'arrival'; job: number }
  | { kind: 'ready'; workerId: string; instanceId: string }
  | { kind: 'finish'; request: string; workerId: string; job: number }
  | { kind: 'tick' };

/**
 * The same day on PostgreSQL: the events of `simulate`'s loop, in its order (arrivals, then a
 * tick every `tickSeconds`, connects after the boot time, completions after each job's
 * duration), each acted out through the real code with the clock at the event's instant.
 * Returns each tick's decisions and each job's start (epoch ms), until `end`.
 */
async function replayOnDatabase(db: Database, end: number): Promise<{ decisions: { at: number; decision: string }[]; starts: (number | null)[]; other: Decision[] }> {
  const start = Date.parse(trace.meta.start);
  const tickMs = (scenario.tickSeconds ?? 60) * 1000;
  const jobs = trace.jobs;
  const starts: (number | null)[] = jobs.map(() => null);
  const decisions: { at: number; decision: string }[] = [];
  const other: Decision[] = [];
  const events = new EventQueue<Event>();
  for (const [index, job] of jobs.entries()) events.push(start + job.at * 1000, { kind: 'arrival', job: index });
  events.push(start, { kind: 'tick' });
  let clock = new Date(start);
  const jobByRequest = new Map<string, number>();

  const dispatch = async () => {
    const { assignments } = await runDispatchPass(db);
    for (const { workRequestId, workerId } of assignments) {
      const job = jobByRequest.get(workRequestId)!;
      expect(await markRunning(db, workRequestId, workerId, { now: clock })).not.toBeNull();
      starts[job] = clock.getTime();
      events.push(clock.getTime() + jobs[job]!.duration * 1000, { kind: 'finish', request: workRequestId, workerId, job });
    }
  };

  for (let event = events.pop(); event; event = events.pop()) {
    clock = new Date(event.at);
    const e = event.value;
    if (e.kind === 'arrival') {
      const job = jobs[e.job]!;
      const request = await createWorkRequest(
        db,
        { scope: job.scope, taskName: job.task, workerRequirements: job.requirements, priorityBase: job.priority },
        { now: clock },
      );
      jobByRequest.set(request.id, e.job);
    } else if (e.kind === 'ready') {
      const [row] = await db.sequelize.query<{ id: string }>(
        `select id from workers where id = $1::bigint and worker_pool_data ->> 'instance-id' = $2::text`,
        { bind: [e.workerId, e.instanceId], type: QueryTypes.SELECT },
      );
      if (!row) continue;
      await bootWorker(db, e.workerId);
    } else if (e.kind === 'finish') {
      const job = jobs[e.job]!;
      const done = await completeWorkRequest(db, e.request, e.workerId, job.outcome, { runtime_statistics: { duration: job.duration } }, { now: clock });
      expect(done).toBe('completed');
    } else {
      if (event.at >= end) break;
      const result = await tick(db, { now: () => clock, bootstrap: { apiUrl: 'https://debusine.example.net/api' } });
      for (const d of result.decisions) {
        if (d.kind === 'launch' || d.kind === 'terminate' || d.kind === 'hold' || d.kind === 'drain') decisions.push({ at: event.at, decision: wording(d) });
        else other.push(d);
      }
      if (result.launched.length) {
        const ids = await db.sequelize.query<{ id: string; name: string }>(`select id, name from workers where name = any($1::text[])`, {
          bind: [result.launched.map((l) => l.worker)],
          type: QueryTypes.SELECT,
        });
        const idByName = new Map(ids.map((r) => [r.name, r.id]));
        for (const l of result.launched) {
          events.push(event.at + BOOT_SECONDS * 1000, { kind: 'ready', workerId: idByName.get(l.worker)!, instanceId: l.instanceId });
        }
      }
      events.push(event.at + tickMs, { kind: 'tick' });
    }
    await dispatch();
  }
  return { decisions, starts, other };
}

describe('fidelity: the replay decides what the real tick decides', () => {
  it('a generated day gives the same decisions every tick, and every job starts at the same instant', async () => {
    expect(trace.jobs.length).toBeGreaterThan(30);
    const run = simulate(trace, scenario, buildfleetPolicy(), { logDecisions: true });

    await createScenario(ctx.db, scenario);
    const onDatabase = await replayOnDatabase(ctx.db, run.end);

    const simulated = byTick(run.decisionLog.map((d) => ({ at: d.at, decision: wording(d) })));
    const real = byTick(onDatabase.decisions);
    expect(real).toEqual(simulated);
    expect(onDatabase.other).toEqual([]);
    expect(onDatabase.starts).toEqual(run.jobs.map((j) => j.start));
    // The pretend cloud ran on the same clock: each live instance was created at its row's launch.
    const instances = await ctx.db.sequelize.query<{ created: Date; launched: Date }>(
      `select d.created_at as created, w.instance_created_at as launched
         from dummy_instances d join workers w on w.worker_pool_data ->> 'instance-id' = 'dummy-' || d.id`,
      { type: QueryTypes.SELECT },
    );
    expect(instances.length).toBeGreaterThan(0);
    for (const { created, launched } of instances) expect(created).toEqual(launched);

    // The day exercised what it compares: launches for demand and for latency, reaping, and the
    // instance limits and the budget holding launches back, in both pools; the spent budget
    // drained the large pool's busy instances and ended them once idle.
    const reasons = new Set(run.decisionLog.map((d) => `${d.kind}:${d.reason}:${d.pool ?? ''}`));
    for (const pool of ['dummy-small', 'dummy-large']) {
      for (const reason of ['launch:LaunchForDemand', 'launch:LaunchForLatency', 'terminate:IdleTooLong', 'hold:PoolAtInstanceLimit']) {
        expect(reasons).toContain(`${reason}:${pool}`);
      }
    }
    expect(reasons).toContain('hold:PoolBudgetExhausted:dummy-large');
    expect(reasons).toContain('drain:DrainOverBudget:dummy-large');
    expect(reasons).toContain('terminate:DrainOverBudget:dummy-large');
  }, 120_000);
});
