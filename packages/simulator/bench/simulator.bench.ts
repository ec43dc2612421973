import { buildfleetPolicy, cheapestAtWait, defaultGeneratorOptions, defaultScenario, generateTrace, measure, parseTrace, type Scenario, simulate, sweep } from '../src';

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
 * for budget adherence, and without budgets beside a taskscaler sweep on the same trace (the
 * baseline: its cheapest setting at no worse p95 wait). `--year` also replays a synthetic year.
 * Ends with one JSON line.
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
  console.error(`month, no budgets: cost ${unbudgeted.cost}, p95 wait ${unbudgeted.wait.p95} s; taskscaler at equal p95: ${JSON.stringify(baseline)}`);

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
      budget_overshoot_pct: budgeted.budgetOvershootPct,
    }),
  );
}

main();
