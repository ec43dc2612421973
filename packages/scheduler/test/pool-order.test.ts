import { linkScopePool } from '@buildfleet/models';
import fc from 'fast-check';
import { getUnmetDemand, readDispatchSnapshot, STATIC } from '../src';
import { addPool, addRequest, addScope, addWorker, resetDatabase, useDatabase, workerMetadata } from './fixtures';

const ctx = useDatabase();

const SCOPES = ['scope-1', 'scope-2', 'scope-3'];
// Names whose alphabetical order differs from creation order, so a tie broken by id and one
// broken by name give different answers.
const NAMES = ['zulu', 'alpha', 'mike', 'bravo', 'yankee', 'charlie'];

const poolArb = fc.record({
  scopedTo: fc.option(fc.constantFrom(...SCOPES), { nil: undefined, freq: 4 }),
  // Few priorities, so ties are common.
  links: fc.uniqueArray(fc.record({ scope: fc.constantFrom(...SCOPES), priority: fc.integer({ min: 0, max: 2 }) }), {
    selector: (l) => l.scope,
    maxLength: 3,
  }),
  enabled: fc.boolean(),
});

it('dispatch and unmet demand prefer the same pools in the same order for every scope of a generated fleet', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.shuffledSubarray(NAMES, { minLength: 1 }),
      fc.array(poolArb, { minLength: NAMES.length, maxLength: NAMES.length }),
      async (names, specs) => {
        await resetDatabase(ctx.db);
        for (const scope of SCOPES) await addScope(ctx.db, scope);
        const expected = new Map<string, { name: string; priority: number | null }[]>(SCOPES.map((s) => [s, []]));
        for (const [index, name] of names.entries()) {
          const spec = specs[index]!;
          await addPool(ctx.db, {
            name,
            enabled: spec.enabled,
            instanceWide: spec.scopedTo === undefined,
            ...(spec.scopedTo ? { scope: spec.scopedTo } : {}),
          });
          if (spec.scopedTo) {
            expected.get(spec.scopedTo)!.push({ name, priority: 0 });
            continue;
          }
          const linked = new Map(spec.links.map((l) => [l.scope, l.priority]));
          for (const [scope, priority] of linked) await linkScopePool(ctx.db, { scope, pool: name, priority });
          for (const scope of SCOPES) expected.get(scope)!.push({ name, priority: linked.get(scope) ?? null });
        }
        // One free worker that cannot run a noop: every scope's request stays unmet, and every
        // pool can run it.
        await addWorker(ctx.db, { name: 'no-noop', metadata: workerMetadata({ tasks_denylist: ['noop'] }) });
        for (const scope of SCOPES) await addRequest(ctx.db, { scope });

        const snapshot = await readDispatchSnapshot(ctx.db);
        const poolNames = new Map(
          (await ctx.db.models.WorkerPool.findAll()).map((p) => [String(p.id), p.name] as const),
        );
        const scopeIds = new Map((await ctx.db.models.Scope.findAll()).map((s) => [s.name, String(s.id)] as const));
        const demand = await getUnmetDemand(ctx.db);

        for (const scope of SCOPES) {
          const dispatchOrder = snapshot.poolOrder.get(scopeIds.get(scope)!)!;
          expect(dispatchOrder[0]).toBe(STATIC);
          const dispatchNames = dispatchOrder.slice(1).map((id) => poolNames.get(id));
          const demandNames = demand.find((d) => d.scope === scope)!.pools.map((p) => p.name);
          expect(demandNames).toEqual(dispatchNames);
          // Linked pools by priority, then unlinked instance-wide pools; ties by name.
          const rank = (p: { priority: number | null }) => (p.priority === null ? -Infinity : p.priority);
          const want = [...expected.get(scope)!]
            .sort((a, b) => rank(b) - rank(a) || (a.name < b.name ? -1 : 1))
            .map((p) => p.name);
          expect(dispatchNames).toEqual(want);
        }
      },
    ),
    { numRuns: 30 },
  );
});
