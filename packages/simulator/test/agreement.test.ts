import { connectDatabase, upsertProviderAccount, upsertScope, upsertWorkerPool } from '@buildfleet/models';
import { readMedianTaskSeconds, readMonthlyUsage, readRecentStarts, RECENT_STARTS_SECONDS } from '@buildfleet/provisioner';
import { createWorkRequest } from '@buildfleet/scheduler';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { QueryTypes } from 'sequelize';
import { Random } from '../src/random';
import { RecentRuns } from '../src/recent-runs';
import { RecentStarts } from '../src/recent-starts';
import { type LiveUsage, UsageBook } from '../src/usage';

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

describe("the simulator's month-to-date usage", () => {
  it('agrees with readMonthlyUsage on generated instances and tasks, across the month boundary', async () => {
    await upsertScope(ctx.db, { name: 'debian' });
    await upsertProviderAccount(ctx.db, { name: 'dummy', provider_type: 'dummy' });
    await upsertWorkerPool(ctx.db, { name: 'dummy-a', providerAccount: 'dummy', architectures: ['amd64'], specifications: { provider_type: 'dummy' } });
    const [ids] = await ctx.db.sequelize.query<{ pool: string; scope: string }>(
      `select (select id from worker_pools where name = 'dummy-a') as pool, (select id from scopes where name = 'debian') as scope`,
      { type: QueryTypes.SELECT },
    );
    const { pool, scope } = ids!;
    const random = new Random(5);
    const book = new UsageBook();
    const monthStart = Date.parse('2026-03-01T00:00:00Z');
    const now = NOW.getTime();
    const instant = (from: number, to: number) => Math.floor((from + random.next() * (to - from)) / 1000) * 1000;

    const ended = Array.from({ length: 30 }, () => {
      const launchedAt = instant(monthStart - 20 * DAY, now - DAY);
      return { launchedAt, endedAt: Math.min(now - 1000, launchedAt + Math.floor(random.next() * 5 * 86400) * 1000) };
    });
    const tasks = Array.from({ length: 30 }, () => ({ completedAt: instant(monthStart - 10 * DAY, now), runtime: Math.floor(random.next() * 2 * 86400) }));
    for (const e of ended) book.instanceEnded('dummy-a', e.launchedAt, e.endedAt);
    for (const t of tasks) book.taskCompleted('dummy-a', 'debian', t.completedAt, t.runtime);
    await ctx.db.sequelize.query(
      `insert into worker_pool_statistics (worker_pool_id, timestamp, runtime)
       select $1::bigint, f.at, f.runtime from json_to_recordset($2::json) as f(at timestamptz, runtime int)`,
      { bind: [pool, JSON.stringify(ended.map((e) => ({ at: new Date(e.endedAt), runtime: (e.endedAt - e.launchedAt) / 1000 })))] },
    );
    await ctx.db.sequelize.query(
      `insert into worker_pool_task_execution_statistics (worker_pool_id, scope_id, timestamp, runtime)
       select $1::bigint, $2::bigint, f.at, f.runtime from json_to_recordset($3::json) as f(at timestamptz, runtime int)`,
      { bind: [pool, scope, JSON.stringify(tasks.map((t) => ({ at: new Date(t.completedAt), runtime: t.runtime })))] },
    );

    const live: LiveUsage[] = [];
    for (let i = 0; i < 5; i++) {
      const launchedAt = instant(monthStart - 10 * DAY, now);
      const running = i % 2 === 0 ? { scope: 'debian', startedAt: instant(launchedAt, now) } : null;
      live.push({ launchedAt, running });
      const [worker] = await ctx.db.sequelize.query<{ id: string }>(
        `with t as (insert into tokens (hash) values (md5($1) || md5($1)) returning id)
         insert into workers (name, worker_pool_id, token_id, instance_created_at)
         select $1, $2::bigint, id, $3::timestamptz from t returning id`,
        { bind: [`dummy-a-${i}`, pool, new Date(launchedAt)], type: QueryTypes.SELECT },
      );
      if (running) {
        const { id } = await createWorkRequest(ctx.db, { scope: 'debian', taskName: 'noop' });
        await ctx.db.sequelize.query(`update work_requests set status = 'running', worker_id = $1::bigint, started_at = $2::timestamptz where id = $3::bigint`, {
          bind: [worker!.id, new Date(running.startedAt), id],
        });
      }
    }

    const fromSql = await readMonthlyUsage(ctx.db, { now: NOW });
    const inMemory = book.usage('dummy-a', ['debian'], live, now);
    expect(inMemory.usedSeconds).toBeCloseTo(fromSql.pools['dummy-a']!, 3);
    expect(inMemory.scopeUsedSeconds.debian).toBeCloseTo(fromSql.scopes['dummy-a']!.debian!, 3);
    // Both parts of the month boundary occur: usage that began in February counts from March 1.
    expect(ended.some((e) => e.launchedAt < monthStart && e.endedAt > monthStart)).toBe(true);
  });
});


describe("the simulator's recent starts", () => {
  it('agree with readRecentStarts on generated running and finished work around the window', async () => {
    await upsertScope(ctx.db, { name: 'debian' });
    await upsertProviderAccount(ctx.db, { name: 'dummy', provider_type: 'dummy' });
    for (const name of ['recent-a', 'recent-b']) {
      await upsertWorkerPool(ctx.db, { name, providerAccount: 'dummy', architectures: ['amd64'], specifications: { provider_type: 'dummy' } });
    }
    const [ids] = await ctx.db.sequelize.query<{ a: string; b: string; scope: string }>(
      `select (select id from worker_pools where name = 'recent-a') as a, (select id from worker_pools where name = 'recent-b') as b,
              (select id from scopes where name = 'debian') as scope`,
      { type: QueryTypes.SELECT },
    );
    const random = new Random(9);
    const now = NOW.getTime();
    const window = RECENT_STARTS_SECONDS * 1000;
    const starts = new RecentStarts();
    // Starts from two windows ago until now, on the second; the window's first instant is not in it.
    const work = Array.from({ length: 80 }, () => ({
      pool: random.next() < 0.6 ? 'recent-a' : 'recent-b',
      startedAt: Math.floor((now - 2 * window + random.next() * 2 * window) / 1000) * 1000,
      runtime: Math.floor(random.lognormal(600, 1)),
    }));
    work.push({ pool: 'recent-a', startedAt: now - window, runtime: 10 }, { pool: 'recent-b', startedAt: now - window, runtime: 10_000 });
    work.sort((x, y) => x.startedAt - y.startedAt);
    for (const w of work) starts.add(w.pool, w.startedAt);

    const poolId = (pool: string) => (pool === 'recent-a' ? ids!.a : ids!.b);
    const finished = work.filter((w) => w.startedAt + w.runtime * 1000 <= now);
    await ctx.db.sequelize.query(
      `insert into worker_pool_task_execution_statistics (worker_pool_id, scope_id, timestamp, runtime)
       select f.pool, $1::bigint, f.at, f.runtime from json_to_recordset($2::json) as f(pool bigint, at timestamptz, runtime int)`,
      { bind: [ids!.scope, JSON.stringify(finished.map((w) => ({ pool: poolId(w.pool), at: new Date(w.startedAt + w.runtime * 1000), runtime: w.runtime })))] },
    );
    const running = work.filter((w) => w.startedAt + w.runtime * 1000 > now);
    for (const [i, w] of running.entries()) {
      const [worker] = await ctx.db.sequelize.query<{ id: string }>(
        `with t as (insert into tokens (hash) values (md5($1) || md5($1)) returning id)
         insert into workers (name, worker_pool_id, token_id, instance_created_at)
         select $1, $2::bigint, id, $3::timestamptz from t returning id`,
        { bind: [`${w.pool}-${i}`, poolId(w.pool), new Date(w.startedAt - 60_000)], type: QueryTypes.SELECT },
      );
      const { id } = await createWorkRequest(ctx.db, { scope: 'debian', taskName: 'noop' });
      await ctx.db.sequelize.query(`update work_requests set status = 'running', worker_id = $1::bigint, started_at = $2::timestamptz where id = $3::bigint`, {
        bind: [worker!.id, new Date(w.startedAt), id],
      });
    }

    const fromSql = await readRecentStarts(ctx.db, { now: NOW });
    for (const pool of ['recent-a', 'recent-b']) expect(starts.count(pool, now)).toBe(fromSql[pool] ?? 0);
    // Both kinds occur inside the window, and work that started before it is left out.
    expect(running.some((w) => w.startedAt > now - window) && finished.some((w) => w.startedAt > now - window)).toBe(true);
    expect(starts.count('recent-a', now) + starts.count('recent-b', now)).toBeLessThan(work.length);
  });
});
