/**
 * `npm run bench`: N simulated workers speak Debusine's protocol (register, WebSocket session,
 * metadata, get-next-for-worker, completed) to one `serve` in its own process, running `noop`
 * work that completes at once; the same run at a baseline of 100 workers gives the ratios.
 * Ends with one JSON line.
 */
import { cpus, loadavg } from 'node:os';
import { migrateUp } from '@buildfleet/models';
import { createWorkRequest } from '@buildfleet/scheduler';
import { prepareTemplate, stopTemplateServer } from '@buildfleet/testdb';
import { QueryTypes } from 'sequelize';
import { ask, count, drainedSample, machineJiffies, peakRssMib, postgresCpuMs, round, SERVE_MAX_OLD_SPACE_MIB, statementsPer, until, withFleet } from './fleet-harness';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2000);
const BASELINE_WORKERS = Number(process.env.BENCH_BASELINE_WORKERS ?? 100);
const TASKS_PER_WORKER = Number(process.env.BENCH_TASKS_PER_WORKER ?? 5);

interface Phase {
  workers: number;
  connected_s: number;
  metadata_s: number;
  completions: number;
  completions_per_s: number;
  start_to_complete_p50_ms: number;
  start_to_complete_p95_ms: number;
  completed_to_next_start_p50_ms: number;
  completed_to_next_start_p95_ms: number;
  server_cpu_s_per_1000: number;
  client_cpu_s_per_1000: number;
  /** CPU time of the PostgreSQL backends serving the bench's database. */
  postgres_cpu_s_per_1000: number;
  /** Cores busy on the whole machine while the requests ran (PostgreSQL and other users included). */
  machine_busy_cores: number;
  statements_per_completion: number;
  load_average: number;
  rss_idle_mib: number;
  rss_per_worker_kib: number;
  /** Of that, V8's heap (the rest is native: sockets, buffers, the allocator's pages). */
  heap_per_worker_kib: number;
  rss_peak_mib: number;
}

async function runPhase(workers: number): Promise<Phase> {
  return withFleet(workers, async ({ db, server: child, idle, connected, connectedS, metadataS }) => {
    const clientCpu = process.cpuUsage();
    // The server's pool keeps its connections while busy, so the same backends serve the whole run.
    const postgresBefore = await postgresCpuMs(db);
    const machine = machineJiffies();

    const total = workers * TASKS_PER_WORKER;
    const first = await createWorkRequest(db, { scope: 'bench', taskName: 'noop' });
    await db.sequelize.query(
      `insert into work_requests (scope_id, task_name, task_data, requirement_set_id)
       select scope_id, task_name, task_data, requirement_set_id from work_requests, generate_series(2, $2::int)
        where id = $1::bigint`,
      { bind: [first.id, total] },
    );
    await until('every request completed', async () =>
      (await count(db, `select count(*)::int as n from work_requests where status = 'completed'`)) === total,
    );
    const done = await ask(child);
    const postgresMs = (await postgresCpuMs(db)) - postgresBefore;
    const clientCpuMs = Object.values(process.cpuUsage(clientCpu)).reduce((sum, us) => sum + us, 0) / 1000;
    const machineAfter = machineJiffies();
    const busyCores = ((machineAfter.busy - machine.busy) / (machineAfter.total - machine.total)) * cpus().length;
    // The settles after each worker's last completion (they find nothing) may still run: their
    // statements count once the server has sent none for half a second.
    const drained = await drainedSample(child);
    const cycle = statementsPer(connected, drained, total);
    console.log(`${workers} workers, statements per completion:\n${cycle.map(([sql, n]) => `  ${n.toFixed(2)}  ${sql}`).join('\n')}`);
    const rssPeak = peakRssMib(child.pid!);

    const [figures] = await db.sequelize.query<Record<string, number>>(
      `with timed as (
         select worker_id, started_at, completed_at,
                lead(started_at) over (partition by worker_id order by started_at) as next_started_at
           from work_requests where status = 'completed'
       )
       select count(*)::int as completions,
              extract(epoch from max(completed_at) - min(started_at)) as span_s,
              percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at)) * 1000 as s2c_p50,
              percentile_cont(0.95) within group (order by extract(epoch from completed_at - started_at)) * 1000 as s2c_p95,
              percentile_cont(0.5) within group (order by extract(epoch from next_started_at - completed_at)) * 1000 as c2n_p50,
              percentile_cont(0.95) within group (order by extract(epoch from next_started_at - completed_at)) * 1000 as c2n_p95
         from timed`,
      { type: QueryTypes.SELECT },
    );
    return {
      workers,
      connected_s: round(connectedS),
      metadata_s: round(metadataS),
      completions: figures!.completions!,
      completions_per_s: round(figures!.completions! / figures!.span_s!),
      start_to_complete_p50_ms: round(figures!.s2c_p50!),
      start_to_complete_p95_ms: round(figures!.s2c_p95!),
      completed_to_next_start_p50_ms: round(figures!.c2n_p50!),
      completed_to_next_start_p95_ms: round(figures!.c2n_p95!),
      server_cpu_s_per_1000: round((done.cpuMs - connected.cpuMs) / total, 2),
      client_cpu_s_per_1000: round(clientCpuMs / total, 2),
      postgres_cpu_s_per_1000: round(postgresMs / total, 2),
      machine_busy_cores: round(busyCores, 2),
      statements_per_completion: round(cycle.reduce((sum, [, n]) => sum + n, 0), 1),
      load_average: loadavg()[0]!,
      rss_idle_mib: round(idle.rss / 2 ** 20),
      rss_per_worker_kib: round((connected.rss - idle.rss) / workers / 1024),
      heap_per_worker_kib: round((connected.heapUsed - idle.heapUsed) / workers / 1024),
      rss_peak_mib: rssPeak,
    };
  });
}

async function main() {
  await prepareTemplate({ name: 'server-bench', migrate: (url) => migrateUp(url).then(() => undefined) });
  try {
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model}; ${TASKS_PER_WORKER} noop requests per worker; ` +
        `serve's old space ${SERVE_MAX_OLD_SPACE_MIB ? `at most ${SERVE_MAX_OLD_SPACE_MIB} MiB` : "V8's default"}`,
    );
    const baseline = await runPhase(BASELINE_WORKERS);
    console.log(JSON.stringify(baseline));
    const fleet = await runPhase(WORKERS);
    console.log(JSON.stringify(fleet));
    console.log(
      JSON.stringify({
        bench: 'fleet',
        workers: WORKERS,
        completions_per_s: fleet.completions_per_s,
        start_to_complete_p95_ms: fleet.start_to_complete_p95_ms,
        rss_mib: fleet.rss_peak_mib,
        rss_per_worker_kib: fleet.rss_per_worker_kib,
        baseline_workers: BASELINE_WORKERS,
        baseline_start_to_complete_p95_ms: baseline.start_to_complete_p95_ms,
        p95_ratio: Math.round((fleet.start_to_complete_p95_ms / baseline.start_to_complete_p95_ms) * 10) / 10,
        completed_to_next_start_p95_ms: fleet.completed_to_next_start_p95_ms,
        baseline_completed_to_next_start_p95_ms: baseline.completed_to_next_start_p95_ms,
        serve_max_old_space_mib: SERVE_MAX_OLD_SPACE_MIB || null,
      }),
    );
  } finally {
    await stopTemplateServer();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
