/**
 * A pool whose monthly budget is spent drains, end to end: real ticks on PostgreSQL with the
 * dummy driver, and the scheduler's real dispatch pass between them.
 */
import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { Reason, tick } from '../src';
import {
  addPool,
  addRequests,
  ageWorker,
  connectWorker,
  dispatchAndStart,
  InMemoryDummyCloud,
  monthOlderThan,
  requestRows,
  resetDatabase,
  tickOptions,
  useDatabase,
} from './fixtures';

const database = useDatabase();
let db: Database;
let cloud: InMemoryDummyCloud;

beforeAll(() => {
  db = database.db;
});

beforeEach(async () => {
  await resetDatabase(db);
  cloud = new InMemoryDummyCloud();
});

// A task is expected to take 10 s, so the pool's budget allows a launch.
const run = () => tick(db, tickOptions(cloud, { plan: { defaultTaskSeconds: 10 } }));
const draining = async (worker: string) =>
  (
    await db.sequelize.query<{ draining_since: Date | null; draining_reason: string | null }>(
      'select draining_since, draining_reason from workers where name = $1',
      { bind: [worker], type: QueryTypes.SELECT },
    )
  )[0]!;
const completeRunning = () => db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where status = 'running'`);

/** One instance launched for three requests, running the first; then 20 seconds pass, which spend the pool's 10-second budget. */
async function busyOverBudget(): Promise<string> {
  await monthOlderThan(20);
  await addPool(db, { name: 'dummy-a', limits: { target_max_seconds_per_month: 10, max_idle_seconds: 3600 } });
  await addRequests(db, 3);
  const { launched } = await run();
  const worker = launched[0]!.worker;
  await connectWorker(db, worker);
  await dispatchAndStart(db);
  await ageWorker(db, worker, 20);
  return worker;
}

describe('a spent monthly budget drains the pool', () => {
  it('its busy instance finishes its request, gets no other, and is terminated once idle; nothing is aborted', async () => {
    const worker = await busyOverBudget();
    const first = await run();
    expect(first.terminated).toEqual([]);
    expect(first.decisions.map((d) => `${d.kind} ${d.reason} ${d.worker ?? ''}`.trim())).toEqual([
      `drain ${Reason.DrainOverBudget} ${worker}`,
      `hold ${Reason.PoolBudgetExhausted}`,
    ]);
    expect(await draining(worker)).toEqual({ draining_since: expect.any(Date), draining_reason: Reason.DrainOverBudget });

    await completeRunning();
    await dispatchAndStart(db);
    expect((await requestRows(db)).map((r) => [r.status, r.worker])).toEqual([
      ['completed', worker],
      ['pending', null],
      ['pending', null],
    ]);

    const next = await run();
    expect(next.terminated).toEqual([{ pool: 'dummy-a', worker }]);
    expect(next.decisions.filter((d) => d.kind === 'terminate').map((d) => d.reason)).toEqual([Reason.DrainOverBudget]);
    expect(next.launched).toEqual([]);
    const recorded = await db.sequelize.query<{ kind: string; reason: string }>(
      `select kind, reason from provisioning_decisions where reason = $1 order by id`,
      { bind: [Reason.DrainOverBudget], type: QueryTypes.SELECT },
    );
    expect(recorded).toEqual([
      { kind: 'drain', reason: Reason.DrainOverBudget },
      { kind: 'terminate', reason: Reason.DrainOverBudget },
    ]);
  });

  it('stops draining when the budget is raised, and the worker takes work again', async () => {
    const worker = await busyOverBudget();
    await run();
    await addPool(db, { name: 'dummy-a', limits: { target_max_seconds_per_month: 36_000, max_idle_seconds: 3600 } });
    const lifted = await run();
    expect(lifted.decisions.filter((d) => d.kind === 'drain').map((d) => `${d.reason} ${d.worker}`)).toEqual([`${Reason.DrainLifted} ${worker}`]);
    expect(await draining(worker)).toEqual({ draining_since: null, draining_reason: null });
    await completeRunning();
    await dispatchAndStart(db);
    expect((await requestRows(db)).map((r) => r.status)).toEqual(['completed', 'running', 'pending']);
  });
});
