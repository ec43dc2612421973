import { cheapestAtWait, defaultGeneratorOptions, defaultScenario, generateTrace, measure, parseTrace, simulate, sweep, buildfleetPolicy } from '../src';

/**
 * Replays the generator's default month through buildfleet's planner, sweeps taskscaler's
 * settings on the same trace as the baseline, and (with `--year`) replays a synthetic year.
 * Ends with one JSON line.
 */
function main() {
  const scenario = defaultScenario();
  const trace = parseTrace(generateTrace(defaultGeneratorOptions()));
  const started = Date.now();
  const metrics = measure(simulate(trace, scenario, buildfleetPolicy()), scenario);
  const wallMs = Date.now() - started;
  console.error(`month: ${trace.jobs.length} jobs replayed in ${wallMs} ms; cost ${metrics.cost}, p95 wait ${metrics.wait.p95} s, overshoot ${metrics.budgetOvershootPct} %`);

  const taskscaler = sweep(trace, scenario, ['taskscaler']);
  const baseline = cheapestAtWait(taskscaler, metrics.wait.p95)!;
  console.error(`taskscaler at equal p95: ${JSON.stringify(baseline)}`);

  if (process.argv.includes('--year')) {
    const year = parseTrace(generateTrace(defaultGeneratorOptions({ days: 365, jobsPerDay: 260, seed: 7 })));
    const t = Date.now();
    const yearMetrics = measure(simulate(year, scenario, buildfleetPolicy()), scenario);
    console.error(`year: ${year.jobs.length} jobs replayed in ${Date.now() - t} ms; p95 wait ${yearMetrics.wait.p95} s`);
  }
  console.log(
    JSON.stringify({
      bench: 'simulator',
      jobs: trace.jobs.length,
      sim_days: metrics.simDays,
      wall_ms: wallMs,
      cost_ratio_vs_taskscaler: Math.round((metrics.cost / baseline.cost) * 1000) / 1000,
      p95_wait_s: metrics.wait.p95,
      budget_overshoot_pct: metrics.budgetOvershootPct,
    }),
  );
}

main();
