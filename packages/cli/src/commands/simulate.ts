import { readFile, writeFile } from 'node:fs/promises';
import { ValidationError } from '@buildfleet/models';
import {
  cheapestAtWait,
  defaultGeneratorOptions,
  defaultScenario,
  generateTrace,
  htmlReport,
  makePolicy,
  measure,
  parseScenario,
  type Metrics,
  oracleLowerBound,
  parseTrace,
  POLICY_NAMES,
  simulate,
  sweep,
  type SweepPoint,
  type Trace,
  readSwf,
  SWF_SCOPE_FIELDS,
  TraceError,
  unknownNames,
  type UnknownNames,
} from '@buildfleet/simulator';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../shared/base-command';
import { boundedInteger } from '../shared/flags';
import { renderTable } from '../shared/format';
import { readYamlFlags } from '../shared/yaml-input';

export interface SimulateResult {
  trace: { source: string; jobs: number; days: number };
  metrics: Metrics;
  /** Cost of running every job at once on its cheapest pool for exactly its run time: no policy does better. */
  oracleCost: number;
  /** Scopes and task names the replay does not know, with their job counts (jobs of unknown scopes are skipped). */
  unknown: UnknownNames;
  /** With --sweep: each peer policy's settings, as cost against p95 wait. */
  sweep?: SweepPoint[];
  /** With --html: the report file written. */
  html?: string;
}

const setting = Flags.custom<[string, number]>({
  helpValue: 'NAME=VALUE',
  parse: async (input) => {
    const match = /^([a-z_]+)=(\d+(?:\.\d+)?)$/.exec(input.trim());
    if (!match) throw ValidationError.single('--set', '--set', `"${input}" is not NAME=VALUE with a number ≥ 0, e.g. idle_count=2`);
    return [match[1]!, Number(match[2])];
  },
});

const swfScope = Flags.custom<[string, string]>({
  helpValue: 'ID=SCOPE',
  parse: async (input) => {
    const match = /^(-?\d+)=(\S+)$/.exec(input.trim());
    if (!match) throw ValidationError.single('--swf-scope', '--swf-scope', `"${input}" is not ID=SCOPE, e.g. 3=debian`);
    return [match[1]!, match[2]!];
  },
});

export default class Simulate extends BuildfleetCommand {
  static override summary = 'Replay a workload trace through the real planners on a simulated clock, and report cost against wait.';
  static override description =
    'Without --trace, replays a synthetic trace from the seeded generator. Without --scenario, runs on the built-in scenario (its pools, prices and budgets are in the simulator README). Needs no database.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --trace month.jsonl --policy taskscaler --set idle_count=2 --set idle_time=900',
    '<%= config.bin %> <%= command.id %> --days 7 --sweep --json',
  ];
  static override flags = {
    trace: Flags.string({ helpValue: 'FILE', summary: 'JSON Lines trace to replay. (Default: a generated one)', exclusive: ['swf'] }),
    swf: Flags.string({ helpValue: 'FILE', summary: 'A Standard Workload Format log (Parallel Workloads Archive) to replay instead.' }),
    'swf-scope-by': Flags.string({ options: Object.keys(SWF_SCOPE_FIELDS), default: 'user', summary: 'Which SWF field names the scope.' }),
    'swf-scope': swfScope({ multiple: true, summary: 'Maps an SWF user, group or application id to a scope, e.g. 3=debian; repeatable. (Default: <field>-<id>)' }),
    seed: boundedInteger({ min: 0, max: 2 ** 31 - 1, summary: 'Seed of the generated trace.', defaultText: '42' })(),
    days: boundedInteger({ min: 1, max: 366, unit: 'days', summary: 'Days of the generated trace.', defaultText: '30' })(),
    'jobs-per-day': boundedInteger({ min: 1, max: 100_000, summary: 'Average jobs per day of the generated trace.', defaultText: '180' })(),
    scenario: Flags.string({ helpValue: 'FILE|-', summary: "YAML or JSON scenario: pools (billing, price, boot, failures, limits) and scopes. (Default: the built-in one)" }),
    policy: Flags.string({ options: [...POLICY_NAMES], default: 'buildfleet', summary: 'Scaling policy to replay.' }),
    set: setting({ multiple: true, summary: "A policy setting, e.g. idle_count=2 (taskscaler); repeatable. (Default: the policy's defaults)" }),
    sweep: Flags.boolean({ summary: 'Also run every setting of the peer policies and report their cost against p95 wait.' }),
    html: Flags.string({ helpValue: 'FILE', summary: 'Also write a self-contained HTML report with SVG charts to FILE.' }),
  };

  async run(): Promise<SimulateResult> {
    const { flags } = await this.parse(Simulate);
    // oclif types a repeatable custom flag as one value; it holds one per occurrence.
    const settings = (flags.set ?? []) as unknown as [string, number][];
    const policy = makePolicy(flags.policy, Object.fromEntries(settings));
    const scenario = flags.scenario === undefined ? defaultScenario() : parseScenario((await readYamlFlags({ scenario: flags.scenario })).scenario);
    const trace = await this.readTrace(flags);
    const unknown = unknownNames(trace.jobs, new Set(scenario.scopes.map((s) => s.name)));
    for (const [kind, counts] of [['scopes', unknown.scopes], ['task names', unknown.tasks]] as const) {
      const names = Object.entries(counts).map(([name, jobs]) => `${name} (${jobs} jobs)`);
      if (names.length) this.warn(`unknown ${kind} in the trace: ${names.join(', ')}${kind === 'scopes' ? '; their jobs are skipped' : ''}`);
    }

    const progress = this.progressBar();
    const run = simulate(trace, scenario, policy, { onProgress: (share) => progress(`replaying ${policy.name}`, share) });
    const metrics = measure(run, scenario);
    const result: SimulateResult = {
      trace: { source: trace.meta.source, jobs: trace.jobs.length, days: metrics.simDays },
      metrics,
      oracleCost: oracleLowerBound(trace, scenario).cost,
      unknown,
    };
    if (flags.sweep) {
      result.sweep = sweep(trace, scenario, POLICY_NAMES.filter((n) => n !== 'buildfleet'), (done, total) => progress('sweeping', done / total));
    }
    progress('', -1);
    if (flags.html !== undefined) {
      try {
        await writeFile(flags.html, htmlReport(run, metrics, result.sweep));
      } catch (error) {
        throw ValidationError.single('--html', '--html', `cannot write ${flags.html}: ${(error as Error).message}`);
      }
      result.html = flags.html;
    }
    if (!this.jsonEnabled()) this.log(report(result));
    return result;
  }

  private async readTrace(flags: {
    trace?: string;
    swf?: string;
    'swf-scope-by': string;
    'swf-scope'?: [string, string];
    seed?: number;
    days?: number;
    'jobs-per-day'?: number;
  }): Promise<Trace> {
    const read = async (flag: string, path: string) => {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        throw ValidationError.single(flag, flag, `cannot read ${path}: ${(error as Error).message}`);
      }
    };
    try {
      if (flags.swf !== undefined) {
        // oclif types a repeatable custom flag as one value; it holds one per occurrence.
        const scopes = Object.fromEntries((flags['swf-scope'] ?? []) as unknown as [string, string][]);
        const { trace, skipped } = readSwf(await read('--swf', flags.swf), { scopeBy: flags['swf-scope-by'] as keyof typeof SWF_SCOPE_FIELDS, scopes });
        if (skipped) this.warn(`${skipped} SWF jobs without a run time are left out`);
        return trace;
      }
      const content =
        flags.trace === undefined
          ? generateTrace(defaultGeneratorOptions({ seed: flags.seed ?? 42, days: flags.days ?? 30, jobsPerDay: flags['jobs-per-day'] ?? 180 }))
          : await read('--trace', flags.trace);
      return parseTrace(content);
    } catch (error) {
      if (!(error instanceof TraceError)) throw error;
      throw new ValidationError('trace', error.issues.map((i) => ({ field: `line ${i.line}: ${i.field}`, message: i.message })));
    }
  }

  /** A bar on stderr while the replay runs, when stderr is a terminal; `share` −1 clears it. */
  private progressBar(): (label: string, share: number) => void {
    if (!process.stderr.isTTY) return () => {};
    return (label, share) => {
      if (share < 0) process.stderr.write('\r\x1b[K');
      else process.stderr.write(`\r${label} [${'#'.repeat(Math.round(share * 30)).padEnd(30)}] ${Math.round(share * 100)}%`);
    };
  }
}

const n = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (value: number | null) => (value === null ? '-' : `${n(value, 1)} %`);

function report({ trace, metrics, oracleCost, sweep: points }: SimulateResult): string {
  const lines = [
    `${metrics.policy.name}${Object.keys(metrics.policy.settings).length ? ` (${Object.entries(metrics.policy.settings).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}: ` +
      `${n(metrics.jobs)} jobs${metrics.jobs === trace.jobs ? '' : ` (of ${n(trace.jobs)} in the trace)`} over ${n(trace.days, 1)} simulated days from ${trace.source}`,
    `cost ${n(metrics.cost, 2)} (oracle lower bound ${n(oracleCost, 2)}), wait p95 ${n(metrics.wait.p95)} s, worst budget overshoot ${pct(metrics.budgetOvershootPct)}`,
    '',
    renderTable(
      ['Scope', 'Jobs', 'Wait p50 s', 'p95 s', 'p99 s', 'Within target', 'Target s'],
      Object.entries(metrics.scopes).map(([name, s]) => [name, n(s.jobs), n(s.p50), n(s.p95), n(s.p99), pct(s.withinTarget * 100), n(s.targetSeconds)]),
      'No scopes.',
    ),
    '',
    renderTable(
      ['Pool', 'Launches', 'Failed', 'Booting s', 'Busy s', 'Idle s', 'Cost', 'Budget use', 'Wasted', 'Relaunches', 'Aborted'],
      Object.entries(metrics.pools).map(([name, p]) => [
        name,
        n(p.launches),
        n(p.launchFailures),
        n(p.billedSeconds.booting),
        n(p.billedSeconds.busy),
        n(p.billedSeconds.idle),
        n(p.cost, 2),
        pct(p.budget.usePct),
        n(p.wastedLaunches),
        n(p.relaunches),
        n(p.abortedWork),
      ]),
      'No pools.',
    ),
    '',
    renderTable(['Decision', 'Count'], Object.entries(metrics.decisions).map(([reason, count]) => [reason, n(count)]), 'No decisions.'),
  ];
  if (points) {
    lines.push(
      '',
      renderTable(
        ['Policy', 'Settings', 'Cost', 'Wait p95 s', 'Budget overshoot'],
        points.map((p) => [p.policy, Object.entries(p.settings).map(([k, v]) => `${k}=${v}`).join(' '), n(p.cost, 2), n(p.p95Wait), pct(p.budgetOvershootPct)]),
        'No points.',
      ),
    );
    for (const name of new Set(points.map((p) => p.policy))) {
      const match = cheapestAtWait(points.filter((p) => p.policy === name), metrics.wait.p95);
      if (match) lines.push(`${name} at p95 ≤ ${n(metrics.wait.p95)} s: cost ${n(match.cost, 2)} (${Object.entries(match.settings).map(([k, v]) => `${k}=${v}`).join(' ')})`);
    }
  }
  return lines.join('\n');
}
