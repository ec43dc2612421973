import fc from 'fast-check';
import { assignNextForWorker, runDispatchPass } from '../src';
import { addRequest, addScope, addWorker, resetDatabase, useDatabase } from './fixtures';

const ctx = useDatabase();

// Few values, so equal effective priorities and equal creation times are common.
const requestArb = fc.record({
  base: fc.integer({ min: -1, max: 1 }),
  adjustment: fc.integer({ min: -1, max: 1 }),
  minute: fc.integer({ min: 0, max: 2 }),
});

it('the dispatch pass and a worker asking for work take the same request first from a generated queue', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 8 }), async (specs) => {
      await resetDatabase(ctx.db);
      await addScope(ctx.db, 'debian');
      const ids: string[] = [];
      for (const spec of specs) {
        ids.push(
          await addRequest(ctx.db, {
            priorityBase: spec.base,
            priorityAdjustment: spec.adjustment,
            createdAt: new Date(Date.UTC(2026, 2, 1, 12, spec.minute)),
          }),
        );
      }
      // Highest base + adjustment, then oldest, then lowest id.
      const first = ids
        .map((id, i) => ({ id, priority: specs[i]!.base + specs[i]!.adjustment, minute: specs[i]!.minute }))
        .sort((a, b) => b.priority - a.priority || a.minute - b.minute || Number(a.id) - Number(b.id))[0]!.id;

      const asking = await addWorker(ctx.db, { name: 'asking' });
      expect((await assignNextForWorker(ctx.db, asking))?.id).toBe(first);

      await ctx.db.sequelize.query(`update work_requests set worker_id = null`);
      await ctx.db.sequelize.query(`delete from workers`);
      await addWorker(ctx.db, { name: 'dispatched' });
      const { assignments } = await runDispatchPass(ctx.db);
      expect(assignments.map((a) => a.workRequestId)).toEqual([first]);
    }),
    { numRuns: 25 },
  );
});
