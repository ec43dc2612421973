import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBodies, runFuzz } from './fuzz/bodies';
import { type ClientFixture, idSegment, queryString, seedClientFixture, tokenChoice } from './fuzz/client';
import { useDatabase } from './fixtures';

const database = useDatabase();
let fixture: ClientFixture;

beforeAll(async () => {
  fixture = await seedClientFixture(database.db);
});
afterAll(() => fixture.api.close());

const scope = fc.constantFrom(undefined, undefined, 'debusine', 'no-such-scope', '__proto__');
const headers = (token: string | undefined, scopeName?: string) => ({
  'content-type': 'application/json',
  ...(token === undefined ? {} : { token }),
  ...(scopeName === undefined ? {} : { 'x-debusine-scope': scopeName }),
});

it(`answers ${FUZZ_RUNS} generated GET /1.0/work-request/ and /<id>/ requests (queries, ids, scopes) without a 5xx`, async () => {
  const inputs = fc
    .tuple(fc.oneof(fc.constant(''), idSegment(fixture.workRequests).map((id) => `${id}/`)), queryString, tokenChoice(fixture), scope)
    .map(([path, query, token, scopeName]) => ({ kind: path ? 'show' : 'list', path, query, token, scopeName }));

  const tally = await runFuzz('GET /1.0/work-request/ and /<id>/', inputs, (input) =>
    fetch(`${fixture.api.apiUrl}/1.0/work-request/${input.path}${input.query}`, { headers: headers(input.token, input.scopeName) }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  for (const status of [200, 400, 403, 404]) expect(tally.byStatus[status]).toBeGreaterThan(0);
}, 120_000);

it(`answers ${FUZZ_RUNS} generated POST /1.0/work-request/<id>/retry/ and abort/ requests without a 5xx`, async () => {
  const inputs = fc
    .tuple(fc.constantFrom('retry', 'abort'), fuzzBodies(fc.constant({})), idSegment(fixture.workRequests), tokenChoice(fixture))
    .map(([action, body, id, token]) => ({ ...body, kind: action, id, token }));

  const tally = await runFuzz('POST /1.0/work-request/<id>/retry/ and abort/', inputs, (input) =>
    fetch(`${fixture.api.apiUrl}/1.0/work-request/${input.id}/${input.kind}/`, { method: 'POST', headers: headers(input.token), body: input.text }),
  );

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  for (const status of [200, 403, 404, 409]) expect(tally.byStatus[status]).toBeGreaterThan(0);
  await fixture.api.api.close(); // settles the dispatch passes the calls started
  expect(fixture.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
