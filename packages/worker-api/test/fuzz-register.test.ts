import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, hex64, runFuzz } from './fuzz/bodies';
import { addPoolMember, recordingLogger, resetDatabase, startApi, useDatabase } from './fixtures';

const database = useDatabase();
const logger = recordingLogger();
let api: Awaited<ReturnType<typeof startApi>>;
let activationKeys: string[] = [];

beforeAll(async () => {
  await resetDatabase(database.db);
  // Limits high enough that generated registrations reach the database.
  api = await startApi(database.db, { logger, selfRegistration: { perAddressPerHour: 1e6, maxPendingWorkers: 1e6 } });
  activationKeys = await Promise.all(Array.from({ length: 20 }, async (_, n) => (await addPoolMember(database.db, 'cloud', `cloud-${n}`)).activationKey));
});
afterAll(() => api.close());

const registration = fc.record({
  token: hex64,
  fqdn: fc.oneof(fc.domain(), fc.string({ minLength: 1 })),
  worker_type: fc.constantFrom('external', 'signing', 'celery'),
});

it(`answers ${FUZZ_RUNS} generated POST /1.0/worker/register/ bodies without a 5xx, every 4xx a problem`, async () => {
  const inputs = fc.tuple(fuzzBodies(registration), fc.nat(40)).map(([body, n]) => ({ ...body, header: n < 20 ? undefined : activationKeys[n - 20] }));

  const tally = await runFuzz('POST /1.0/worker/register/', inputs, (input) =>
    fetch(`${api.apiUrl}/1.0/worker/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(input.header ? { token: input.header } : {}) },
      body: input.text,
    }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[201]).toBeGreaterThan(50);
  expect(tally.byStatus[400]).toBeGreaterThan(50);
  expect(logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
