import { connectDatabase, upsertScope } from '@buildfleet/models';
import { createWorkRequest } from '@buildfleet/scheduler';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { buildfleetPolicy, defaultScenario, exportTrace, measure, parseTrace, simulate } from '../src';

const ctx = useConnectedDatabase((url) => connectDatabase(url, 4));
const SINCE = new Date('2026-03-01T00:00:00Z');
const UNTIL = new Date('2026-03-02T00:00:00Z');

async function request(createdAt: string, fields: { status: string; result?: string; startedAt?: string; completedAt?: string; reported?: number }, requirements: string[] = []) {
  const { id } = await createWorkRequest(ctx.db, { scope: 'debian', taskName: 'noop', workerRequirements: requirements });
  await ctx.db.sequelize.query(
    `update work_requests set created_at = $2::timestamptz, status = $3::text, result = $4::text, started_at = $5::timestamptz, completed_at = $6::timestamptz,
            output_data = case when $7::numeric is null then '{}'::jsonb else jsonb_build_object('runtime_statistics', jsonb_build_object('duration', $7::numeric)) end
      where id = $1::bigint`,
    { bind: [id, createdAt, fields.status, fields.result ?? '', fields.startedAt ?? null, fields.completedAt ?? null, fields.reported ?? null] },
  );
  return id;
}

describe('exporting buildfleet history as a trace', () => {
  it('writes the completed worker tasks of the window as a trace the replay reads and runs', async () => {
    await upsertScope(ctx.db, { name: 'debian' });
    const first = await request('2026-03-01T01:00:00Z', { status: 'completed', result: 'success', startedAt: '2026-03-01T01:01:00Z', completedAt: '2026-03-01T01:11:00Z' }, ['arch:amd64', 'memory_gib>=4']);
    const second = await request('2026-03-01T02:00:00Z', { status: 'completed', result: 'failure', startedAt: '2026-03-01T02:00:30Z', completedAt: '2026-03-01T02:30:00Z', reported: 1500 });
    await request('2026-03-01T03:00:00Z', { status: 'completed', result: 'skipped', completedAt: '2026-03-01T03:00:10Z' });
    await request('2026-03-01T04:00:00Z', { status: 'pending' });
    await request('2026-03-02T01:00:00Z', { status: 'completed', result: 'success', startedAt: '2026-03-02T01:01:00Z', completedAt: '2026-03-02T01:02:00Z' });

    const { trace: text, jobs } = await exportTrace(ctx.db, { since: SINCE, until: UNTIL });
    expect(jobs).toBe(2);
    const trace = parseTrace(text);
    expect(trace.meta).toEqual({ type: 'meta', version: 1, source: 'export:buildfleet', start: SINCE.toISOString(), days: 1 });
    expect(trace.jobs).toEqual([
      { type: 'job', id: first, at: 3600, scope: 'debian', task: 'noop', requirements: ['arch:amd64', 'memory_gib>=4'], priority: 0, duration: 600, outcome: 'success' },
      // The worker-reported duration wins over completed − started, as in the planner's median.
      { type: 'job', id: second, at: 7200, scope: 'debian', task: 'noop', requirements: [], priority: 0, duration: 1500, outcome: 'failure' },
    ]);

    const scenario = defaultScenario();
    const metrics = measure(simulate(trace, scenario, buildfleetPolicy()), scenario);
    expect(metrics.jobs).toBe(2);
    expect(metrics.wait.unstarted).toBe(0);
  });
});
