import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, hex64, runFuzz } from './fuzz/bodies';
import { addWorker, addWorkRequest, assign, type TestWorker, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
const started = useStartedApi(database);
let worker: TestWorker;
let workRequest: number;
let othersRequest: number;

beforeAll(async () => {
  worker = await addWorker(database.db, { name: 'builder' });
  const other = await addWorker(database.db, { name: 'other' });
  workRequest = Number(await addWorkRequest(database.db));
  othersRequest = Number(await addWorkRequest(database.db));
  await assign(database.db, String(workRequest), worker.id, 'running');
  await assign(database.db, String(othersRequest), other.id, 'running');
});

it(`answers ${FUZZ_RUNS} generated POST /1.0/artifact/ bodies without a 5xx, every 4xx a problem`, async () => {
  /** The debug-logs artifact a worker posts after each task, with its files' sizes and hashes. */
  const artifact = fc.record(
    {
      category: fc.constantFrom('debusine:work-request-debug-logs', 'debian:upload', 'x'.repeat(300)),
      workspace: fc.constantFrom('System', 'other'),
      files: fc.dictionary(
        fc.oneof(fc.constantFrom('stages.log', 'cmd-output.log', 'a/b/c.log'), fc.string({ minLength: 1, maxLength: 40 })),
        fc.record({ size: fc.oneof(fc.nat(100_000), fc.constantFrom(64 * 2 ** 20 + 1, 2 ** 53)), checksums: fc.record({ sha256: hex64 }), type: fc.constant('file') }),
        { maxKeys: 3 },
      ),
      data: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      work_request: fc.constantFrom(workRequest, workRequest, workRequest, othersRequest, 0, 999_999_999),
      expire_at: fc.constantFrom(null, '2030-01-01T00:00:00Z', '2030-01-01T00:00:00+14:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z'),
    },
    { requiredKeys: ['category', 'work_request'] },
  );

  const tally = await runFuzz('POST /1.0/artifact/', fuzzBodies(artifact), (input) =>
    fetch(`${started.api.apiUrl}/1.0/artifact/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', token: worker.key },
      body: input.text,
    }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[201]).toBeGreaterThan(40);
  expect(tally.byStatus[400]).toBeGreaterThan(50);
  expect(tally.byStatus[403]).toBeGreaterThan(0);
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
