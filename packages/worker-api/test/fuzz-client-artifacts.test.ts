import fc from 'fast-check';
import { FUZZ_RUNS, runFuzz } from './fuzz/bodies';
import { type ClientFixture, idSegment, queryString, seedClientFixture, tokenChoice } from './fuzz/client';
import { useDatabase } from './fixtures';

const database = useDatabase();
let fixture: ClientFixture;

beforeAll(async () => {
  fixture = await seedClientFixture(database.db);
});
afterAll(() => fixture.api.close());

it(`answers ${FUZZ_RUNS} generated GET /1.0/artifact/<id>/, /files/<path>/ and /download/ requests without a 5xx`, async () => {
  const filePath = fc.oneof(
    { weight: 4, arbitrary: fc.constant('stages.log') },
    fc.constantFrom('%ZZ', '%00', 'a%00b', '%ED%A0%80', 'missing.log', 'a/b', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(3000)),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  );
  const call = fc.oneof(
    fc.constant({ kind: 'show', suffix: '' }),
    filePath.map((path) => ({ kind: 'file', suffix: `files/${path}/` })),
    fc.constantFrom('?archive=tar.gz', '?archive=zip', '').map((query) => ({ kind: 'download', suffix: `download/${query}` })),
  );
  const inputs = fc
    .tuple(call, idSegment([fixture.artifactId]), queryString, tokenChoice(fixture))
    .map(([target, id, query, token]) => ({ ...target, id, query, token }));

  const tally = await runFuzz('GET /1.0/artifact/<id>/...', inputs, (input) => {
    const query = input.suffix.includes('?') ? '' : input.query;
    return fetch(`${fixture.api.apiUrl}/1.0/artifact/${input.id}/${input.suffix}${query}`, {
      headers: input.token === undefined ? {} : { token: input.token },
    });
  });

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  for (const status of [200, 400, 403, 404]) expect(tally.byStatus[status]).toBeGreaterThan(0);
  expect(fixture.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
