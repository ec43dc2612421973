import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimulateResult } from '../src/commands/simulate';
import { type ErrorResult } from '../src/shared/base-command';
import { cli, cliJson } from './helpers';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simulate-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const META = '{"type":"meta","version":1,"source":"test","start":"2026-03-02T00:00:00Z","days":1}';
const job = (fields: Record<string, unknown>) =>
  JSON.stringify({ type: 'job', id: 'j1', at: 0, scope: 'debian', task: 'sbuild', requirements: ['arch:amd64'], priority: 0, duration: 300, outcome: 'success', ...fields });

async function traceFile(lines: string[]): Promise<string> {
  const path = join(dir, `trace-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

describe('buildfleet simulate', () => {
  it('replays a generated trace through the planner and reports cost, waits, pools and decisions, the same every time', async () => {
    const { json, exitCode } = await cliJson<SimulateResult>('simulate --days 2 --jobs-per-day 60 --seed 5');
    expect(exitCode).toBe(0);
    expect(json.trace.source).toBe('synthetic:diurnal');
    expect(json.metrics.jobs).toBe(json.trace.jobs);
    expect(json.metrics.cost).toBeGreaterThan(json.oracleCost);
    expect(json.metrics.decisions['launch:LaunchForDemand']).toBeGreaterThan(0);
    expect(Object.keys(json.metrics.pools)).toEqual(['hetzner-cx32', 'aws-c6i', 'aws-c7g']);
    const again = await cliJson<SimulateResult>('simulate --days 2 --jobs-per-day 60 --seed 5');
    expect(again.json).toEqual(json);
  });

  it('prints a table of scopes, pools and decisions without --json', async () => {
    const { stdout, exitCode } = await cli('simulate --days 1 --jobs-per-day 40 --policy taskscaler --set idle_count=1');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('taskscaler (idle_count=1, scale_factor=0, idle_time=1200)');
    expect(stdout).toMatch(/Scope\s+Jobs\s+Wait p50 s/);
    expect(stdout).toMatch(/hetzner-cx32\s+\d+/);
  });

  it('refuses a malformed trace naming each bad line and field, and prints no results', async () => {
    const path = await traceFile([META, job({}), job({ id: 'j2', duration: 'long' }), '{oops']);
    const { json, exitCode } = await cliJson<ErrorResult>(`simulate --trace ${path}`);
    expect(exitCode).toBe(2);
    expect(json.error.issues).toEqual([
      { field: 'line 3: duration', message: expect.stringContaining('run time in seconds') },
      { field: 'line 4: (line)', message: expect.stringContaining('not a JSON object') },
    ]);
  });

  it('lists unknown scopes and task names once with their counts, and skips the unknown scopes\' jobs', async () => {
    const path = await traceFile([META, job({}), job({ id: 'j2', scope: 'kali' }), job({ id: 'j3', scope: 'kali', task: 'sbuild-ng' })]);
    const { json } = await cliJson<SimulateResult>(`simulate --trace ${path}`);
    expect(json.unknown).toEqual({ scopes: { kali: 2 }, tasks: { 'sbuild-ng': 1 } });
    expect(json.metrics.jobs).toBe(1);
    const { stderr } = await cli(`simulate --trace ${path}`);
    expect(stderr.replace(/\s+›\s+/g, ' ')).toContain('unknown scopes in the trace: kali (2 jobs); their jobs are skipped');
    expect(stderr).toContain('unknown task names in the trace: sbuild-ng (1 jobs)');
  });

  it('refuses a setting the policy does not have, and a trace it cannot read, with exit 2', async () => {
    const wrong = await cliJson<ErrorResult>('simulate --policy static --set idle_count=1');
    expect(wrong.exitCode).toBe(2);
    expect(wrong.json.error.issues).toEqual([{ field: 'idle_count', message: expect.stringContaining('its settings are instances') }]);
    const missing = await cliJson<ErrorResult>(`simulate --trace ${join(dir, 'absent.jsonl')}`);
    expect(missing.exitCode).toBe(2);
    expect(missing.json.error.message).toContain('cannot read');
  });

  it('sweeps the peer policies, one cost and p95 wait per setting, and draws them in the HTML report', async () => {
    const html = join(dir, 'report.html');
    const { json } = await cliJson<SimulateResult>(`simulate --days 1 --jobs-per-day 40 --sweep --html ${html}`);
    expect(json.html).toBe(html);
    const page = await readFile(html, 'utf8');
    expect(page.match(/<svg /g)).toHaveLength(4);
    expect(page).toContain('Cost against p95 wait');
    expect(new Set(json.sweep!.map((p) => p.policy))).toEqual(new Set(['static', 'taskscaler', 'karpenter']));
    expect(json.sweep!.find((p) => p.policy === 'static' && p.settings.instances === 12)!.p95Wait).toBeLessThanOrEqual(
      json.sweep!.find((p) => p.policy === 'static' && p.settings.instances === 1)!.p95Wait,
    );
  });

  it('replays a Standard Workload Format log, its users mapped to scopes', async () => {
    const path = join(dir, 'log.swf');
    await writeFile(
      path,
      ['; UnixStartTime: 1772323200', '1 0 10 3600 4 -1 -1 4 7200 -1 1 3 1 5 1 -1 -1 -1', '2 60 5 120 4 -1 -1 4 7200 -1 1 4 1 5 1 -1 -1 -1', '3 90 5 -1 4 -1 -1 4 7200 -1 5 3 1 5 1 -1 -1 -1'].join('\n'),
    );
    const { json } = await cliJson<SimulateResult>(`simulate --swf ${path} --swf-scope 3=debian --swf-scope 4=ubuntu`);
    expect(json.trace.source).toBe('swf');
    expect(json.trace.jobs).toBe(2);
    expect([json.metrics.scopes.debian!.jobs, json.metrics.scopes.ubuntu!.jobs]).toEqual([1, 1]);
    const bad = await cliJson<ErrorResult>(`simulate --swf ${path} --swf-scope 3:debian`);
    expect(bad.exitCode).toBe(2);
  });

  it('runs on a scenario file, and refuses a bad one naming each field (exit 2)', async () => {
    const scenario = join(dir, 'scenario.yaml');
    await writeFile(
      scenario,
      [
        'pools:',
        '  - { name: cheap, billing: hetzner, price: { hourly: 0.01 }, architectures: [amd64], boot: { medianSeconds: 40, sigma: 0.2 }, limits: { max_active_instances: 3 } }',
        'scopes:',
        '  - { name: debian, pools: [{ pool: cheap, limits: { target_latency_seconds: 300 } }] }',
      ].join('\n'),
    );
    const { json } = await cliJson<SimulateResult>(`simulate --days 1 --jobs-per-day 30 --scenario ${scenario}`);
    expect(Object.keys(json.metrics.pools)).toEqual(['cheap']);
    expect(json.unknown.scopes).toEqual({ ubuntu: expect.any(Number) });

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'pools:\n  - { name: x, billing: gcp, price: { hourly: 1 }, architectures: [amd64], boot: { medianSeconds: 1, sigma: 0 } }\nscopes:\n  - { name: debian, pools: [{ pool: y }] }\n');
    const refused = await cliJson<ErrorResult>(`simulate --scenario ${bad}`);
    expect(refused.exitCode).toBe(2);
    expect(refused.json.error.issues?.map((i) => i.field)).toEqual(['pools.0.billing']);
  });
});

