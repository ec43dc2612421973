import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, runFuzz } from './fuzz/bodies';
import { addWorker, type TestWorker, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
const started = useStartedApi(database);
let worker: TestWorker;

beforeAll(async () => {
  worker = await addWorker(database.db, { name: 'builder', pool: 'cloud' });
});

const architecture = fc.constantFrom('amd64', 'arm64', 'i386', 'armhf', 'riscv64');
/** Metadata as debusine-worker reports it, with the keys the scheduler turns into tags. */
const metadata = fc.record(
  {
    'system:cpu_count': fc.integer({ min: 1, max: 512 }),
    'system:total_physical_memory': fc.nat(),
    'system:worker_type': fc.constantFrom('external', 'signing'),
    'system:host_architecture': architecture,
    'system:architectures': fc.array(architecture, { maxLength: 4 }),
    'executor:unshare:available': fc.boolean(),
    'executor:qemu:available': fc.boolean(),
    'noop:version': fc.nat(10),
    'sbuild:version': fc.nat(10),
    'sbuild:available': fc.boolean(),
    'sbuild:chroots': fc.array(fc.string(), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

it(`answers ${FUZZ_RUNS} generated PUT /1.0/worker/dynamic-metadata/ bodies without a 5xx, every 4xx a problem`, async () => {
  const tally = await runFuzz('PUT /1.0/worker/dynamic-metadata/', fuzzBodies(metadata), (input) =>
    fetch(`${started.api.apiUrl}/1.0/worker/dynamic-metadata/`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', token: worker.key },
      body: input.text,
    }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[204]).toBeGreaterThan(200);
  expect(tally.byStatus[400]).toBeGreaterThan(50);
  await started.api.api.close(); // settles the dispatch passes each update started
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
