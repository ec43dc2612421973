import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, runFuzz } from './fuzz/bodies';
import { addWorker, addWorkRequest, assign, type TestWorker, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
const started = useStartedApi(database);
let worker: TestWorker;
let other: TestWorker;
let running: string;
let othersRequest: string;

beforeAll(async () => {
  // In a pool, so reported durations also write a statistics row.
  worker = await addWorker(database.db, { name: 'builder', pool: 'cloud' });
  other = await addWorker(database.db, { name: 'other' });
  running = await addWorkRequest(database.db);
  othersRequest = await addWorkRequest(database.db);
  await assign(database.db, othersRequest, other.id, 'running');
});

/** Puts a (completed) request back to running on `workerId`, so the next completion is written again. */
const runningAgain = (id: string, workerId: string) =>
  database.db.sequelize.query(
    `update work_requests set worker_id = $2, status = 'running', result = '', started_at = now(), completed_at = null where id = $1`,
    { bind: [id, workerId] },
  );

const count = fc.oneof(fc.nat(100_000), fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 53, -1, 0.5));
/** A completion as debusine-worker reports it: result, runtime statistics, errors, skip reason. */
const completion = fc.record(
  {
    result: fc.constantFrom('success', 'failure', 'error', 'skipped'),
    output_data: fc.record(
      {
        runtime_statistics: fc.record(
          { duration: count, cpu_time: count, disk_space: count, memory: count, available_disk_space: count, available_memory: count, cpu_count: count },
          { requiredKeys: [] },
        ),
        errors: fc.array(fc.record({ message: fc.string(), code: fc.string() }), { maxLength: 2 }),
        skip_reason: fc.string(),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['result'] },
);

it(`answers ${FUZZ_RUNS} generated PUT /1.0/work-request/<id>/completed/ bodies without a 5xx, every 4xx a problem`, async () => {
  // Mostly the worker's own running request (put back to running first, so each completion is written).
  const target = fc.oneof(
    { weight: 6, arbitrary: fc.constant('own') },
    fc.constantFrom('other', '0', '999999999999999999', '9999999999999999999', 'abc', '%ZZ', '1%00', '-1', '1.5'),
  );
  const inputs = fc.tuple(fuzzBodies(completion), target).map(([body, id]) => ({ ...body, id }));

  const tally = await runFuzz('PUT /1.0/work-request/<id>/completed/', inputs, async (input) => {
    if (input.id === 'own') await runningAgain(running, worker.id);
    const id = input.id === 'own' ? running : input.id === 'other' ? othersRequest : input.id;
    return fetch(`${started.api.apiUrl}/1.0/work-request/${id}/completed/`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', token: worker.key },
      body: input.text,
    });
  });

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[200]).toBeGreaterThan(100);
  expect(tally.byStatus[400]).toBeGreaterThan(50);
  expect(tally.byStatus[401]).toBeGreaterThan(0);
  expect(tally.byStatus[404]).toBeGreaterThan(0);
  await started.api.api.close(); // settles the dispatch passes each completion started
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
