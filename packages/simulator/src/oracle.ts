import { satisfies } from '@buildfleet/scheduler';
import { resolveScenario, type Scenario } from './scenario';
import { jobRequirements, type Trace } from './trace';

/**
 * The oracle lower bound: every job starts the moment it arrives (zero wait), on an instance
 * of its cheapest able pool that costs only the job's run time: no boot, no idle, no billing
 * minimum or rounding. No policy can run the trace for less.
 */
export function oracleLowerBound(trace: Trace, scenario: Scenario): { cost: number; p95Wait: number; jobs: number } {
  const { pools, scopes } = resolveScenario(scenario);
  let cost = 0;
  let jobs = 0;
  for (const job of trace.jobs) {
    const scope = scopes.get(job.scope);
    if (!scope) continue;
    const requirements = jobRequirements(job);
    const prices = scope.pools
      .map((name) => pools.get(name)!)
      .filter((pool) => satisfies(pool.capabilityTags, pool.numericTags, requirements))
      .map((pool) => pool.price.hourly);
    if (!prices.length) continue;
    jobs++;
    cost += (job.duration * Math.min(...prices)) / 3600;
  }
  return { cost: Math.round(cost * 10000) / 10000, p95Wait: 0, jobs };
}
