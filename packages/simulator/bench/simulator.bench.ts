import { buildfleetPolicy, cheapestAtWait, defaultGeneratorOptions, defaultScenario, generateTrace, measure, parseTrace, type Scenario, simulate, sweep, taskscalerPolicy } from '../src';

/** The default scenario without budgets: taskscaler has none, so cost and wait are compared on equal terms. */
function withoutBudgets(scenario: Scenario): Scenario {
  return {
    ...scenario,
    pools: scenario.pools.map((p) => ({ ...p, limits: { ...p.limits, target_max_seconds_per_month: null } })),
    scopes: scenario.scopes.map((s) => ({ ...s, pools: s.pools.map((l) => ({ ...l, limits: { ...l.limits, target_max_seconds_per_month: null } })) })),
  };
}

/**
 * Replays the generator's default month through buildfleet's planner: on the default scenario
 * for speed and budget adherence, and without budgets beside a taskscaler sweep on the same
 * trace. `cost_ratio_vs_taskscaler` is buildfleet's cost over that of taskscaler's cheapest swept
 * setting whose p95 wait is no longer than buildfleet's, both without budgets (taskscaler has
 * none, and with them buildfleet's p95 is work waiting for next month's budget). That setting
 * is also run on the default scenario, to show what ignoring the budgets costs. `--year` also
 * replays a synthetic year. Ends with one JSON line.
 */
function main() {
  const scenario = defaultScenario();
  const trace = parseTrace(generateTrace(defaultGeneratorOptions()));
  const started = Date.now();
  const budgeted = measure(simulate(trace, scenario, buildfleetPolicy()), scenario);
  const wallMs = Date.now() - started;
  console.error(`month, budgets: ${trace.jobs.length} jobs in ${wallMs} ms; cost ${budgeted.cost}, p95 wait ${budgeted.wait.p95} s, worst overshoot ${budgeted.budgetOvershootPct} %`);

  const free = withoutBudgets(scenario);
  const unbudgeted = measure(simulate(trace, free, buildfleetPolicy()), free);
  const baseline = cheapestAtWait(sweep(trace, free, ['taskscaler']), unbudgeted.wait.p95)!;
  console.error(`month, no budgets: cost ${unbudgeted.cost}, p95 wait ${unbudgeted.wait.p95} s; taskscaler's cheapest at no worse p95: ${JSON.stringify(baseline)}`);
  const { idle_count, scale_factor, idle_time } = baseline.settings as { idle_count: number; scale_factor: number; idle_time: number };
  const overBudget = measure(simulate(trace, scenario, taskscalerPolicy({ idle_count, scale_factor, idle_time })), scenario);
  console.error(`month, budgets, that taskscaler setting: cost ${overBudget.cost}, p95 wait ${overBudget.wait.p95} s, worst overshoot ${overBudget.budgetOvershootPct} %`);

  if (process.argv.includes('--year')) {
    const year = parseTrace(generateTrace(defaultGeneratorOptions({ days: 365, jobsPerDay: 260, seed: 7 })));
    const t = Date.now();
    measure(simulate(year, scenario, buildfleetPolicy()), scenario);
    console.error(`year: ${year.jobs.length} jobs in ${Date.now() - t} ms`);
  }
  console.log(
    JSON.stringify({
      bench: 'simulator',
      jobs: trace.jobs.length,
      sim_days: budgeted.simDays,
      wall_ms: wallMs,
      cost_ratio_vs_taskscaler: Math.round((unbudgeted.cost / baseline.cost) * 1000) / 1000,
      p95_wait_s: unbudgeted.wait.p95,
      taskscaler_p95_wait_s: baseline.p95Wait,
      budget_overshoot_pct: budgeted.budgetOvershootPct,
    }),
  );
}

main();
