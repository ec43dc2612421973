import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, hex64, runFuzz } from './fuzz/bodies';
import { addPoolMember, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
// Limits high enough that generated registrations reach the database.
const started = useStartedApi(database, { selfRegistration: { perAddressPerHour: 1e6, maxPendingWorkers: 1e6 } });
let activationKeys: string[] = [];

beforeAll(async () => {
  activationKeys = await Promise.all(Array.from({ length: 20 }, async (_, n) => (await addPoolMember(database.db, 'cloud', `cloud-${n}`)).activationKey));
});

const registration = fc.record({
  token: hex64,
  fqdn: fc.oneof(fc.domain(), fc.string({ minLength: 1 })),
  worker_type: fc.constantFrom('external', 'signing', 'celery'),
});

it(`answers ${FUZZ_RUNS} generated POST /1.0/worker/register/ bodies without a 5xx, every 4xx a problem`, async () => {
  const inputs = fc.tuple(fuzzBodies(registration), fc.nat(40)).map(([body, n]) => ({ ...body, header: n < 20 ? undefined : activationKeys[n - 20] }));

  const tally = await runFuzz('POST /1.0/worker/register/', inputs, (input) =>
    fetch(`${started.api.apiUrl}/1.0/worker/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(input.header ? { token: input.header } : {}) },
      body: input.text,
    }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  expect(tally.byStatus[201]).toBeGreaterThan(50);
  expect(tally.byStatus[400]).toBeGreaterThan(50);
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
