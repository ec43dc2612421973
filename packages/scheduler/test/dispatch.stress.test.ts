import { connectDatabase } from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { QueryTypes } from 'sequelize';
import { assignNextForWorker, runDispatchPass } from '../src';
import { assignRequests } from '../src/sql/assignRequests';
import { lockWaitingRequests } from '../src/sql/lockWaitingRequests';
import { addRequest, addScope, addWorker, resetDatabase } from './fixtures';

// Sixteen passes and claims at once, each on a connection of its own.
const CONCURRENT = 16;
const ctx = useConnectedDatabase((url) => connectDatabase(url, CONCURRENT + 2));

jest.setTimeout(180_000);

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

/** PostgreSQL's own count of deadlocks in this database, which also sees one a retry hid. */
async function deadlocks(): Promise<number> {
  // A backend reports its counters when idle, at most once a second.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const [row] = await ctx.db.sequelize.query<{ deadlocks: number }>(
    'select deadlocks::int from pg_stat_database where datname = current_database()',
    { type: QueryTypes.SELECT },
  );
  return row!.deadlocks;
}

async function assignedIds(): Promise<string[]> {
  const rows = await ctx.db.sequelize.query<{ id: string }>(
    'select id from work_requests where worker_id is not null order by id',
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.id);
}

/** Deterministic shuffles, so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    seed = (seed * 48271) % 2147483647;
    const j = seed % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

it(`writes ${CONCURRENT} overlapping plans at once, each in its own order, without a deadlock, each request to one worker`, async () => {
  // Passes on disjoint workers plan the same requests; PostgreSQL's plan for the write (and so
  // the order it locks rows in) depends on the plan's size and the statistics of the day.
  const workers: string[] = [];
  for (let i = 0; i < CONCURRENT; i++) workers.push(await addWorker(ctx.db, { name: `w${i}`, concurrency: 1000 }));
  const requests: string[] = [];
  for (let i = 0; i < 300; i++) requests.push(await addRequest(ctx.db));
  await ctx.db.sequelize.query('analyze work_requests');
  const before = await deadlocks();

  // All transactions open before any writes, so the writes overlap.
  let started = 0;
  let go: () => void;
  const allStarted = new Promise<void>((resolve) => (go = resolve));
  const outcomes = await Promise.allSettled(
    workers.map((workerId, i) =>
      ctx.db.sequelize.transaction(async (transaction) => {
        await ctx.db.sequelize.query('select 1', { transaction });
        if (++started === workers.length) go();
        await allStarted;
        const locked = await lockWaitingRequests(ctx.db, shuffled(requests, i + 1), transaction);
        return assignRequests(ctx.db, locked.map(({ id }) => ({ workRequestId: id, workerId })), transaction);
      }),
    ),
  );

  expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason))).toEqual([]);
  expect(await deadlocks()).toBe(before);
  const reported = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value.map((a) => a.workRequestId) : []));
  expect(reported.sort()).toEqual([...requests].sort());
  expect(await assignedIds()).toEqual([...requests].sort((a, b) => Number(a) - Number(b)));
});

it(`runs ${CONCURRENT} passes and claims at once, round after round as work completes, without a deadlock or a lost assignment`, async () => {
  const workers: string[] = [];
  for (let i = 0; i < 200; i++) workers.push(await addWorker(ctx.db, { name: `w${i}`, concurrency: 1 + (i % 4) }));
  await addRequest(ctx.db);
  // Priorities that disagree with the ids, so queue order and row order differ.
  await ctx.db.sequelize.query(
    `insert into work_requests (scope_id, task_name, requirement_set_id, priority_base)
     select scope_id, task_name, requirement_set_id, (n * 7919) % 101 from work_requests, generate_series(1, 9999) as n`,
  );
  const before = await deadlocks();

  const failures: string[] = [];
  const reported: string[] = [];
  let seed = 1;
  const pick = () => workers[(seed = (seed * 48271) % 2147483647) % workers.length]!;
  for (let round = 0; round < 20; round++) {
    // A third of the fleet finishes its work; then passes and the workers' own claims race for the slots.
    await ctx.db.sequelize.query(
      `update work_requests set status = 'completed', result = 'success', completed_at = now()
        where worker_id = any($1::bigint[]) and status = 'pending'`,
      { bind: [Array.from({ length: workers.length / 3 }, pick)] },
    );
    const work = Array.from({ length: CONCURRENT }, async (_, i) => {
      if (i % 2) {
        const next = await assignNextForWorker(ctx.db, pick());
        if (next) reported.push(next.id);
      } else {
        reported.push(...(await runDispatchPass(ctx.db)).assignments.map((a) => a.workRequestId));
      }
    });
    for (const outcome of await Promise.allSettled(work)) {
      if (outcome.status === 'rejected') failures.push(String(outcome.reason));
    }
  }
  reported.push(...(await runDispatchPass(ctx.db)).assignments.map((a) => a.workRequestId));

  expect(failures).toEqual([]);
  expect(await deadlocks()).toBe(before);
  // Every assignment a pass or claim reported (and so announced) is stored, and every stored one was reported.
  expect([...new Set(reported)].sort()).toEqual((await assignedIds()).sort());
  // No worker over its capacity, and none left with a free slot while the queue is long.
  const [fill] = await ctx.db.sequelize.query<{ over: number; under: number; pending: number }>(
    `select count(*) filter (where active > concurrency)::int as over, count(*) filter (where active < concurrency)::int as under,
            (select count(*)::int from work_requests where status = 'pending' and worker_id is null) as pending
       from (select w.concurrency, count(r.id) as active from workers w
               left join work_requests r on r.worker_id = w.id and r.status in ('pending', 'running')
              group by w.id) as load`,
    { type: QueryTypes.SELECT },
  );
  expect(fill!.pending).toBeGreaterThan(0);
  expect(fill).toMatchObject({ over: 0, under: 0 });
});
