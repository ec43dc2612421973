import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, runFuzz, sendRaw } from './fuzz/bodies';
import { addWorker, addWorkRequest, type TestWorker, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
const started = useStartedApi(database);
let worker: TestWorker;

beforeAll(async () => {
  worker = await addWorker(database.db, { name: 'builder', pool: 'cloud' });
});

it(`answers ${FUZZ_RUNS} generated GET /1.0/work-request/get-next-for-worker/ requests (bodies, queries, tokens) without a 5xx`, async () => {
  const inputs = fc
    .tuple(
      fuzzBodies(fc.constant({})),
      fc.constantFrom('own', 'own', 'own', 'none', 'unknown', 'x'.repeat(300)),
      fc.constantFrom('', '?id=1', '?%ZZ', '?a=%00'),
      fc.boolean(),
    )
    .map(([body, token, query, addWork]) => ({ ...body, token, query, addWork }));

  const tally = await runFuzz('GET /1.0/work-request/get-next-for-worker/', inputs, async (input) => {
    // Work for the worker to be given now and then; the request it was given is then found lost.
    if (input.addWork) await addWorkRequest(database.db);
    const token = input.token === 'own' ? worker.key : input.token === 'unknown' ? 'f'.repeat(64) : input.token === 'none' ? undefined : input.token;
    // A GET with a body: fetch refuses to send one, node:http does.
    return sendRaw(`${started.api.apiUrl}/1.0/work-request/get-next-for-worker/${input.query}`, {
      method: 'GET',
      headers: { 'content-type': 'application/json', ...(token ? { token } : {}) },
      body: input.text,
    });
  });

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[403]).toBeGreaterThan(50);
  expect((tally.byStatus[200] ?? 0) + (tally.byStatus[204] ?? 0)).toBeGreaterThan(300);
  await started.api.api.close();
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
