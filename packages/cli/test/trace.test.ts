import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimulateResult } from '../src/commands/simulate';
import { type TraceExportResult } from '../src/commands/trace/export';
import { type ErrorResult } from '../src/shared/base-command';
import { cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trace-export-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('buildfleet trace export', () => {
  it("writes the window's completed work as a trace that simulate replays", async () => {
    await cli('scope create debian');
    const created = await cliJson<{ id: string }>('work-request create --task noop --scope debian --requirement arch:amd64');
    await cliJson('work-request create --task noop --scope debian');
    await db.query(
      `update work_requests set created_at = '2026-03-01T01:00:00Z', status = 'completed', result = 'success',
              started_at = '2026-03-01T01:00:20Z', completed_at = '2026-03-01T01:10:20Z' where id = $1`,
      [created.json.id],
    );
    const output = join(dir, 'march.jsonl');
    const exported = await cliJson<TraceExportResult>(`trace export --since 2026-03-01 --until 2026-03-02 --output ${output}`);
    expect(exported.json).toEqual({ jobs: 1, since: '2026-03-01T00:00:00.000Z', until: '2026-03-02T00:00:00.000Z', output });
    const lines = (await readFile(output, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[1]).toMatchObject({ id: created.json.id, at: 3600, scope: 'debian', task: 'noop', requirements: ['arch:amd64'], duration: 600 });

    const replayed = await cliJson<SimulateResult>(`simulate --trace ${output}`);
    expect(replayed.json.trace).toMatchObject({ source: 'export:buildfleet', jobs: 1 });
    expect(replayed.json.metrics.wait.unstarted).toBe(0);
  });

  it('refuses a date it cannot read, an empty window, and --json without --output (exit 2)', async () => {
    for (const args of ['trace export --since yesterday', 'trace export --since 2026-03-02 --until 2026-03-01', 'trace export --since 2026-03-01']) {
      const { exitCode, json } = await cliJson<ErrorResult>(args);
      expect(exitCode).toBe(2);
      expect(json.error.issues?.[0]?.field).toBeDefined();
    }
  });
});
