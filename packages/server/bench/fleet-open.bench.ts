/**
 * `npm run bench`, open loop: N simulated workers connected and idle over Debusine's real
 * protocol, and `noop` work requests created at a fixed offered rate by a producer in another
 * process, through `POST /api/1.0/work-request/` with a user token (what `debusine
 * create-work-request` sends). Each rate runs BENCH_SECONDS, then the queue drains before the next.
 * The same rates run at BENCH_BASELINE_WORKERS and at BENCH_WORKERS, each followed by a step
 * search for the highest rate whose created → completed p95 stays within BENCH_P95_MS: the
 * rate that fleet size sustains. Ends with one JSON line.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { migrateUp } from '@buildfleet/models';
import { prepareTemplate, stopTemplateServer } from '@buildfleet/testdb';
import { createUserToken } from '@buildfleet/worker-api';
import { QueryTypes } from 'sequelize';
import {
  ask,
  count,
  drainedSample,
  type Fleet,
  machineJiffies,
  meterPostgresCpu,
  peakRssMib,
  round,
  sentStatements,
  statementsPer,
  until,
  withFleet,
} from './fleet-harness';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2000);
const BASELINE_WORKERS = Number(process.env.BENCH_BASELINE_WORKERS ?? 100);
const RATES = (process.env.BENCH_RATES ?? '50,100,200').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const P95_MS = Number(process.env.BENCH_P95_MS ?? 100);
/** The search multiplies the rate by this while it is sustained, then halves the gap a few times. */
const SEARCH_FACTOR = 1.5;
const SEARCH_BISECTIONS = 3;
const SEARCH_MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 2000);
/** A rate is sustained when its created → completed p95 is within P95_MS and this share of it completed per second. */
const ACHIEVED_SHARE = 0.9;

interface Step {
  workers: number;
  offered_per_s: number;
  created: number;
  /** Requests the API refused or failed to answer. */
  failed: number;
  /** Completions over the span from the first creation to the last completion. */
  achieved_per_s: number;
  created_to_started_p50_ms: number;
  created_to_started_p95_ms: number;
  start_to_complete_p50_ms: number;
  start_to_complete_p95_ms: number;
  created_to_complete_p50_ms: number;
  created_to_complete_p95_ms: number;
  /** The producer's wait for `POST /work-request/`'s answer. */
  api_answer_p95_ms: number;
  /** CPU per completion while the step ran, the idle fleet's share included. */
  server_cpu_ms_per_completion: number;
  postgres_cpu_ms_per_completion: number;
  /** The simulated workers' process. */
  client_cpu_ms_per_completion: number;
  producer_cpu_ms_per_completion: number;
  /** Server plus PostgreSQL, less what the idle fleet costs them over the same time. */
  marginal_cpu_ms_per_completion: number;
  statements_per_completion: number;
  machine_busy_cores: number;
  rss_mib: number;
  load_average: number;
  sustained: boolean;
}

interface FleetRun {
  workers: number;
  /** Server plus PostgreSQL CPU per second with the fleet connected and idle. */
  idle_cpu_ms_per_s: number;
  idle_statements_per_s: number;
  steps: Step[];
  sustained_rate_per_s: number;
  rss_peak_mib: number;
}

interface ProducerReport {
  created: number;
  failed: number;
  answerP95Ms: number;
  cpuMs: number;
}

function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * In the producer's process: creates `rate` requests a second for `seconds`, each when its time
 * comes whether or not earlier ones were answered (an open loop), and reports once all are answered.
 */
async function produce(apiUrl: string, token: string, rate: number, seconds: number): Promise<ProducerReport> {
  const cpu = process.cpuUsage();
  const total = Math.round(rate * seconds);
  const answers: Promise<number | undefined>[] = [];
  const started = performance.now();
  while (answers.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    while (answers.length < due) {
      const sent = performance.now();
      answers.push(
        fetch(`${apiUrl}/1.0/work-request/`, {
          method: 'POST',
          headers: { token, 'x-debusine-scope': 'bench', 'content-type': 'application/json' },
          body: JSON.stringify({ task_name: 'noop', task_data: { result: true } }),
        }).then(
          async (response) => {
            await response.arrayBuffer();
            return response.status === 200 ? performance.now() - sent : undefined;
          },
          () => undefined,
        ),
      );
    }
    const next = started + (answers.length * 1000) / rate;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  const waits = await Promise.all(answers);
  const answered = waits.filter((wait): wait is number => wait !== undefined);
  const used = process.cpuUsage(cpu);
  return {
    created: answered.length,
    failed: waits.length - answered.length,
    answerP95Ms: round(percentile(answered, 95)),
    cpuMs: (used.user + used.system) / 1000,
  };
}

/** The producer: a process of its own, as a client of the API is; answers `produce` messages. */
function startProducer(): ChildProcess {
  return fork(__filename, ['producer'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function askProducer(producer: ChildProcess, apiUrl: string, token: string, rate: number, seconds: number): Promise<ProducerReport> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the producer exited with ${code}`));
    producer.once('exit', onExit);
    producer.once('message', (report: ProducerReport) => {
      producer.off('exit', onExit);
      resolve(report);
    });
    producer.send({ apiUrl, token, rate, seconds });
  });
}

async function step(fleet: Fleet, producer: ChildProcess, token: string, rate: number, idleCpuMsPerS: number): Promise<Step> {
  const { db } = fleet;
  const after = await count(db, 'select coalesce(max(id), 0)::int as n from work_requests');
  const before = await ask(fleet.server);
  const postgres = await meterPostgresCpu(db);
  const clientCpu = process.cpuUsage();
  const machine = machineJiffies();
  const started = performance.now();
  const produced = await askProducer(producer, fleet.apiUrl, token, rate, SECONDS);
  await until(`the requests offered at ${rate}/s completed`, async () =>
    (await count(db, `select count(*)::int as n from work_requests where id > $1 and status = 'completed'`, [after])) === produced.created,
  );
  const elapsedS = (performance.now() - started) / 1000;
  const machineAfter = machineJiffies();
  const clientCpuMs = Object.values(process.cpuUsage(clientCpu)).reduce((sum, us) => sum + us, 0) / 1000;
  const drained = await drainedSample(fleet.server);
  const postgresMs = await postgres.stop();
  const [figures] = await db.sequelize.query<Record<string, number>>(
    `select count(*)::int as completions,
            extract(epoch from max(completed_at) - min(created_at)) as span_s,
            percentile_cont(0.5) within group (order by extract(epoch from started_at - created_at)) * 1000 as c2s_p50,
            percentile_cont(0.95) within group (order by extract(epoch from started_at - created_at)) * 1000 as c2s_p95,
            percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at)) * 1000 as s2c_p50,
            percentile_cont(0.95) within group (order by extract(epoch from completed_at - started_at)) * 1000 as s2c_p95,
            percentile_cont(0.5) within group (order by extract(epoch from completed_at - created_at)) * 1000 as c2c_p50,
            percentile_cont(0.95) within group (order by extract(epoch from completed_at - created_at)) * 1000 as c2c_p95
       from work_requests where id > $1 and status = 'completed'`,
    { type: QueryTypes.SELECT, bind: [after] },
  );
  const completions = figures!.completions!;
  const serverMs = drained.cpuMs - before.cpuMs;
  if (rate === RATES[0]) {
    const cycle = statementsPer(before, drained, completions).slice(0, 15);
    console.log(`${fleet.workers} workers at ${rate}/s, statements per completion:\n${cycle.map(([sql, n]) => `  ${n.toFixed(2)}  ${sql}`).join('\n')}`);
  }
  const achieved = completions / figures!.span_s!;
  const p95 = figures!.c2c_p95!;
  return {
    workers: fleet.workers,
    offered_per_s: rate,
    created: produced.created,
    failed: produced.failed,
    achieved_per_s: round(achieved),
    created_to_started_p50_ms: round(figures!.c2s_p50!),
    created_to_started_p95_ms: round(figures!.c2s_p95!),
    start_to_complete_p50_ms: round(figures!.s2c_p50!),
    start_to_complete_p95_ms: round(figures!.s2c_p95!),
    created_to_complete_p50_ms: round(figures!.c2c_p50!),
    created_to_complete_p95_ms: round(p95),
    api_answer_p95_ms: produced.answerP95Ms,
    server_cpu_ms_per_completion: round(serverMs / completions, 2),
    postgres_cpu_ms_per_completion: round(postgresMs / completions, 2),
    client_cpu_ms_per_completion: round(clientCpuMs / completions, 2),
    producer_cpu_ms_per_completion: round(produced.cpuMs / completions, 2),
    marginal_cpu_ms_per_completion: round((serverMs + postgresMs - idleCpuMsPerS * elapsedS) / completions, 2),
    statements_per_completion: round((sentStatements(drained) - sentStatements(before)) / completions, 1),
    machine_busy_cores: round(((machineAfter.busy - machine.busy) / (machineAfter.total - machine.total)) * cpus().length, 2),
    rss_mib: round(drained.rss / 2 ** 20),
    load_average: loadavg()[0]!,
    sustained: produced.failed === 0 && p95 <= P95_MS && achieved >= ACHIEVED_SHARE * rate,
  };
}

/** The fixed rates, then the step search from the highest of them sustained. */
async function runFleet(workers: number, producer: ChildProcess): Promise<FleetRun> {
  return withFleet(workers, async (fleet) => {
    const token = await createUserToken(fleet.db, { user: 'bench' });
    const idleBefore = await ask(fleet.server);
    const idlePostgres = await meterPostgresCpu(fleet.db);
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const idleAfter = await ask(fleet.server);
    const idlePostgresMs = await idlePostgres.stop();
    const idleS = (performance.now() - idleStarted) / 1000;
    const idleCpuMsPerS = (idleAfter.cpuMs - idleBefore.cpuMs + idlePostgresMs) / idleS;
    console.log(`${workers} workers connected in ${round(fleet.connectedS)} s; idle: ${round(idleCpuMsPerS)} ms of server and PostgreSQL CPU a second`);

    const steps: Step[] = [];
    const run = async (rate: number) => {
      const result = await step(fleet, producer, token, rate, idleCpuMsPerS);
      console.log(JSON.stringify(result));
      steps.push(result);
      return result.sustained;
    };
    for (const rate of RATES) await run(rate);
    const sustainedRates = () => steps.filter((s) => s.sustained).map((s) => s.offered_per_s);
    // Between the highest rate sustained and the lowest one above it that was not: climb by
    // SEARCH_FACTOR until one is not, then halve the gap SEARCH_BISECTIONS times.
    let low = Math.max(0, ...sustainedRates());
    let high = Math.min(Infinity, ...steps.filter((s) => !s.sustained && s.offered_per_s > low).map((s) => s.offered_per_s));
    while (high === Infinity && Math.round(low * SEARCH_FACTOR) <= SEARCH_MAX_RATE) {
      const rate = Math.round(low * SEARCH_FACTOR);
      if (await run(rate)) low = rate;
      else high = rate;
    }
    for (let i = 0; i < SEARCH_BISECTIONS && high !== Infinity && high - low > Math.max(2, high / 10); i++) {
      const rate = Math.round((low + high) / 2);
      if (await run(rate)) low = rate;
      else high = rate;
    }
    return {
      workers,
      idle_cpu_ms_per_s: round(idleCpuMsPerS),
      idle_statements_per_s: round((sentStatements(idleAfter) - sentStatements(idleBefore)) / idleS),
      steps,
      sustained_rate_per_s: Math.max(0, ...sustainedRates()),
      rss_peak_mib: peakRssMib(fleet.server.pid!),
    };
  });
}

async function main(): Promise<void> {
  await prepareTemplate({ name: 'server-bench', migrate: (url) => migrateUp(url).then(() => undefined) });
  const producer = startProducer();
  try {
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; open loop: ${RATES.join(', ')} noop requests/s, ${SECONDS} s each`);
    const baseline = await runFleet(BASELINE_WORKERS, producer);
    const fleet = await runFleet(WORKERS, producer);
    // The comparison: the highest rate both fleet sizes ran and sustained (else the first fixed one).
    const sustainedByBoth = baseline.steps
      .map((s) => s.offered_per_s)
      .filter((rate) => [baseline, fleet].every((run) => run.steps.some((s) => s.offered_per_s === rate && s.sustained)));
    const compared = sustainedByBoth.length ? Math.max(...sustainedByBoth) : RATES[0]!;
    const at = (run: FleetRun) => run.steps.find((s) => s.offered_per_s === compared)!;
    const cpuMs = (s: Step) => round(s.server_cpu_ms_per_completion + s.postgres_cpu_ms_per_completion, 2);
    console.log(
      JSON.stringify({
        bench: 'fleet-open',
        workers: WORKERS,
        baseline_workers: BASELINE_WORKERS,
        sustained_rate_per_s: fleet.sustained_rate_per_s,
        baseline_sustained_rate_per_s: baseline.sustained_rate_per_s,
        at_rate_per_s: compared,
        p95_ms_at_rate: at(fleet).created_to_complete_p95_ms,
        baseline_p95_ms_at_rate: at(baseline).created_to_complete_p95_ms,
        start_to_complete_p95_ms_at_rate: at(fleet).start_to_complete_p95_ms,
        baseline_start_to_complete_p95_ms_at_rate: at(baseline).start_to_complete_p95_ms,
        cpu_ms_per_completion: cpuMs(at(fleet)),
        baseline_cpu_ms_per_completion: cpuMs(at(baseline)),
        marginal_cpu_ms_per_completion: at(fleet).marginal_cpu_ms_per_completion,
        baseline_marginal_cpu_ms_per_completion: at(baseline).marginal_cpu_ms_per_completion,
        idle_cpu_ms_per_s: fleet.idle_cpu_ms_per_s,
        baseline_idle_cpu_ms_per_s: baseline.idle_cpu_ms_per_s,
        rss_mib: fleet.rss_peak_mib,
        load_average: loadavg()[0]!,
      }),
    );
  } finally {
    producer.kill();
    await stopTemplateServer();
  }
}

if (process.argv[2] === 'producer') {
  process.on('message', (message: { apiUrl: string; token: string; rate: number; seconds: number }) => {
    void produce(message.apiUrl, message.token, message.rate, message.seconds).then((report) => process.send!(report));
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
