import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { satisfies, satisfiesSql } from '../src';
import { useDatabase } from './fixtures';

const ctx = useDatabase();

const TAGS = ['arch:amd64', 'arch:arm64', 'task:sbuild', 'task:lintian', 'executor:unshare', 'site:paris', 'worker-type:external'];
const HOLDER_TAGS = [...TAGS, 'task:*', 'executor:*', 'site:*'];
const NUMERIC = ['cpus', 'memory_gib'];

const caseArb = fc.record({
  tags: fc.uniqueArray(fc.constantFrom(...HOLDER_TAGS)),
  numeric: fc.dictionary(fc.constantFrom(...NUMERIC), fc.integer({ min: 0, max: 8 })),
  requirements: fc.record({
    tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
    minimums: fc.dictionary(fc.constantFrom(...NUMERIC), fc.integer({ min: 0, max: 8 }), { maxKeys: 2 }),
  }),
});

it('the in-memory matcher agrees with the SQL matcher on generated tags, wildcards and minimums', async () => {
  const cases = fc.sample(caseArb, { numRuns: 400, seed: 13 });
  const required = await ctx.db.sequelize.query<{ n: number; ok: boolean }>(
    `select c.n, ${satisfiesSql('c.holder', 'c.numeric', 'c')} as ok
       from json_to_recordset($1::json) as c(n int, holder text[], tags text[], numeric jsonb, minimums jsonb)
      order by c.n`,
    {
      bind: [
        JSON.stringify(
          cases.map((c, n) => ({ n, holder: c.tags, tags: c.requirements.tags, numeric: c.numeric, minimums: c.requirements.minimums })),
        ),
      ],
      type: QueryTypes.SELECT,
    },
  );
  expect(required).toHaveLength(cases.length);
  const disagreements = cases.filter((c, n) => satisfies(new Set(c.tags), c.numeric, c.requirements) !== required[n]!.ok);
  expect(disagreements).toEqual([]);
  // Both outcomes occur, so the agreement is not trivial.
  expect(new Set(required.map((r) => r.ok))).toEqual(new Set([true, false]));
});
