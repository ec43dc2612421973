import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, runFuzz } from './fuzz/bodies';
import { type ClientFixture, idSegment, seedClientFixture, tokenChoice } from './fuzz/client';
import { useDatabase } from './fixtures';

const database = useDatabase();
let fixture: ClientFixture;

beforeAll(async () => {
  fixture = await seedClientFixture(database.db);
});
afterAll(() => fixture.api.close());

const headers = (token: string | undefined) => ({ 'content-type': 'application/json', ...(token === undefined ? {} : { token }) });

it(`answers ${FUZZ_RUNS} generated PATCH /1.0/work-request/<id>/ bodies without a 5xx, every 4xx a problem`, async () => {
  const priority = fc.record({ priority_adjustment: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53)) });
  const inputs = fc
    .tuple(fuzzBodies(priority), idSegment(fixture.workRequests), fc.oneof({ weight: 6, arbitrary: fc.constant(fixture.adminKey) }, tokenChoice(fixture)))
    .map(([body, id, token]) => ({ ...body, id, token }));

  const tally = await runFuzz('PATCH /1.0/work-request/<id>/', inputs, (input) =>
    fetch(`${fixture.api.apiUrl}/1.0/work-request/${input.id}/`, { method: 'PATCH', headers: headers(input.token), body: input.text }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  for (const status of [200, 400, 403, 404, 409]) expect(tally.byStatus[status]).toBeGreaterThan(0);
}, 120_000);
