import { svgChart } from '@buildfleet/charts';
import { type SimulationRun } from './engine';
import { type Metrics } from './metrics';
import { type SweepPoint } from './sweep';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A self-contained HTML page (no script, no external file): the figures of a replay and SVG
 * charts of the queue, the fleet by pool, the cost over time and, with a sweep, each policy's
 * cost against p95 wait.
 */
export function htmlReport(run: SimulationRun, metrics: Metrics, sweep?: SweepPoint[]): string {
  const pools = Object.keys(metrics.pools);
  const charts = [
    svgChart('Pending jobs', [{ name: 'pending', points: run.samples.map((s) => [s.at, s.pending]) }], { xAxis: 'time' }),
    svgChart('Live instances by pool', pools.map((pool) => ({ name: pool, points: run.samples.map((s) => [s.at, s.live[pool] ?? 0] as [number, number]) })), { xAxis: 'time' }),
    svgChart('Cost so far (instances ended)', [{ name: 'cost', points: run.samples.map((s) => [s.at, s.cost]) }], { xAxis: 'time' }),
  ];
  if (sweep?.length) {
    const policies = [...new Set(sweep.map((p) => p.policy))];
    const curves = policies.map((policy) => ({
      name: policy,
      points: sweep.filter((p) => p.policy === policy).map((p) => [p.p95Wait, p.cost] as [number, number]),
    }));
    curves.push({ name: `${metrics.policy.name} (this run)`, points: [[metrics.wait.p95, metrics.cost]] });
    charts.push(svgChart('Cost against p95 wait (s), per setting', curves, { kind: 'scatter', yTitle: 'cost' }));
  }
  const row = (cells: (string | number)[]) => `<tr>${cells.map((c) => `<td>${escape(String(c))}</td>`).join('')}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>buildfleet replay: ${escape(metrics.policy.name)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>Replay: ${escape(metrics.policy.name)}</h1>
<p>${metrics.jobs} jobs over ${metrics.simDays} simulated days; cost ${metrics.cost}; wait p95 ${metrics.wait.p95} s; worst budget overshoot ${metrics.budgetOvershootPct} %.</p>
<table><tr><th>Scope</th><th>Jobs</th><th>p50 s</th><th>p95 s</th><th>p99 s</th><th>Within target</th></tr>
${Object.entries(metrics.scopes).map(([name, s]) => row([name, s.jobs, s.p50, s.p95, s.p99, `${Math.round(s.withinTarget * 1000) / 10} %`])).join('\n')}
</table>
<table><tr><th>Pool</th><th>Launches</th><th>Booting s</th><th>Busy s</th><th>Idle s</th><th>Cost</th><th>Budget use</th><th>Relaunches</th></tr>
${Object.entries(metrics.pools).map(([name, p]) => row([name, p.launches, p.billedSeconds.booting, p.billedSeconds.busy, p.billedSeconds.idle, p.cost, p.budget.usePct === null ? '-' : `${p.budget.usePct} %`, p.relaunches])).join('\n')}
</table>
${charts.map((c) => `<figure>${c}</figure>`).join('\n')}
</body></html>
`;
}
