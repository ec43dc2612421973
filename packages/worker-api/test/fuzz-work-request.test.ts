import fc from 'fast-check';
import { createUserToken } from '../src';
import { FUZZ_RUNS, fuzzBodies, runFuzz } from './fuzz/bodies';
import { rows, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
const started = useStartedApi(database);
let userKey: string;

beforeAll(async () => {
  userKey = await createUserToken(database.db, { user: 'fuzzer' });
});

/** What `debusine create-work-request` sends, with task names that are known, unknown or on Object.prototype. */
const workRequest = fc.record(
  {
    task_name: fc.oneof({ weight: 8, arbitrary: fc.constant('noop') }, fc.constantFrom('sbuild', 'constructor', '__proto__', 'toString', 'frobnicate')),
    task_data: fc.oneof(
      { weight: 4, arbitrary: fc.record({ result: fc.boolean() }, { requiredKeys: [] }) },
      fc.record({ host_architecture: fc.constantFrom('amd64', 5, null), input: fc.record({ source_artifact: fc.nat() }) }, { requiredKeys: [] }),
    ),
    event_reactions: fc.constant({}),
    workspace: fc.constant('System'),
  },
  { requiredKeys: ['task_name'] },
);

it(`answers ${FUZZ_RUNS} generated POST /1.0/work-request/ bodies without a 5xx, every 4xx a problem`, async () => {
  const inputs = fc
    .tuple(fuzzBodies(workRequest), fc.constantFrom(undefined, 'debusine', 'no-such-scope'))
    .map(([body, scope]) => ({ ...body, scope }));

  const tally = await runFuzz('POST /1.0/work-request/', inputs, (input) =>
    fetch(`${started.api.apiUrl}/1.0/work-request/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', token: userKey, ...(input.scope ? { 'x-debusine-scope': input.scope } : {}) },
      body: input.text,
    }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[200]).toBeGreaterThan(50);
  expect(tally.byStatus[400]).toBeGreaterThan(50);
  // Only accepted requests were written, each for a task the scheduler knows.
  const stored = await rows<{ task_name: string }>(database.db, 'select task_name from work_requests');
  expect(stored).toHaveLength(tally.byStatus[200]!);
  expect(stored.filter((r) => ['constructor', '__proto__', 'toString', 'frobnicate'].includes(r.task_name))).toEqual([]);
  await started.api.api.close(); // settles the dispatch passes each creation started
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
