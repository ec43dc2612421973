import { connectDatabase, upsertScope } from '@buildfleet/models';
import { readMedianTaskSeconds } from '@buildfleet/provisioner';
import { createWorkRequest } from '@buildfleet/scheduler';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { QueryTypes } from 'sequelize';
import { Random } from '../src/random';
import { RecentRuns } from '../src/recent-runs';

const ctx = useConnectedDatabase((url) => connectDatabase(url, 4));
const NOW = new Date('2026-03-20T12:00:00Z');
const DAY = 86_400_000;

interface Run {
  result: 'success' | 'failure' | 'error';
  completedAt: Date;
  seconds: number;
  /** Whether the worker reported runtime_statistics.duration (else completed − started counts). */
  reported: boolean;
}

describe("the simulator's task-duration median", () => {
  it('agrees with readMedianTaskSeconds on generated runs: old, errored, zero-second and over a hundred of them', async () => {
    await upsertScope(ctx.db, { name: 'debian' });
    const random = new Random(11);
    for (const count of [7, 250]) {
      const runs: Run[] = Array.from({ length: count }, () => ({
        result: random.pick(['success', 'failure', 'error'] as const, [6, 2, 1]),
        completedAt: new Date(NOW.getTime() - random.next() * 40 * DAY),
        seconds: random.next() < 0.05 ? 0 : Math.round(random.lognormal(400, 1)),
        reported: random.next() < 0.7,
      }));
      const ids: string[] = [];
      for (let i = 0; i < runs.length; i++) ids.push((await createWorkRequest(ctx.db, { scope: 'debian', taskName: 'noop', workerRequirements: [`site:s${count}`] })).id);
      await ctx.db.sequelize.query(
        `update work_requests r
            set status = 'completed', result = f.result, completed_at = f.completed_at,
                started_at = f.completed_at - f.seconds * interval '1 second',
                output_data = case when f.reported then jsonb_build_object('runtime_statistics', jsonb_build_object('duration', f.seconds)) else '{}'::jsonb end
           from json_to_recordset($1::json) as f(id bigint, result text, completed_at timestamptz, seconds int, reported boolean)
          where r.id = f.id`,
        { bind: [JSON.stringify(runs.map((r, i) => ({ id: ids[i], result: r.result, completed_at: r.completedAt, seconds: r.seconds, reported: r.reported })))] },
      );
      const [{ set }] = await ctx.db.sequelize.query<{ set: string }>(`select requirement_set_id as set from work_requests where id = $1`, {
        bind: [ids[0]],
        type: QueryTypes.SELECT,
      }) as [{ set: string }];

      const recent = new RecentRuns();
      for (const run of [...runs].sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime())) {
        if (run.result !== 'error') recent.add(set, run.completedAt.getTime(), run.seconds);
      }
      const fromSql = (await readMedianTaskSeconds(ctx.db, [set], { now: NOW }))[set];
      expect(fromSql).toBeDefined();
      expect(recent.median(set, NOW.getTime())).toBeCloseTo(fromSql!, 6);
    }
  });
});
