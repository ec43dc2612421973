import { linkScopePool, mergeRequirements, parseRequirements, requirementKey } from '@buildfleet/models';
import fc from 'fast-check';
import { getUnmetDemand, runDispatchPass, taskRequirements } from '../src';
import { addPool, addRequest, addScope, addWorker, resetDatabase, useDatabase, workerMetadata } from './fixtures';
import { taskData } from './task-data';
import { referenceDispatch, referenceUnmetDemand, type RefPool, type RefRequest, type RefWorker } from './reference-matcher';

const ctx = useDatabase();

const poolArb = fc.record({
  tags: fc
    .tuple(fc.subarray(['site:a', 'site:b', 'task:sbuild', 'executor:unshare']), fc.subarray(['memory_gib=8', 'memory_gib=32'], { maxLength: 1 }))
    .map(([plain, numeric]) => [...plain, ...numeric]),
  architectures: fc.constantFrom<string[]>(['amd64'], ['arm64'], ['amd64', 'arm64']),
  scopedTo: fc.option(fc.constantFrom(1, 2), { nil: undefined }),
  links: fc.uniqueArray(fc.record({ scope: fc.constantFrom(1, 2), priority: fc.integer({ min: -2, max: 3 }) }), {
    selector: (l) => l.scope,
    maxLength: 2,
  }),
  enabled: fc.boolean(),
});
const workerArb = fc.record({
  pool: fc.option(fc.nat(3), { nil: undefined }),
  arch: fc.constantFrom('amd64', 'arm64'),
  unshare: fc.boolean(),
  sbuild: fc.boolean(),
  memoryGib: fc.constantFrom(4, 8, 16, 32),
  adminTags: fc.subarray(['site:a', 'disk_gib=100']),
  concurrency: fc.integer({ min: 1, max: 2 }),
  connected: fc.boolean(),
  enabled: fc.boolean(),
  connectedAt: fc.nat(5),
});
const requestArb = fc.record({
  task: fc.constantFrom('noop', 'sbuild', 'autopkgtest'),
  arch: fc.option(fc.constantFrom('amd64', 'arm64'), { nil: undefined }),
  requirements: fc.subarray(['site:a', 'site:b', 'memory_gib>=8', 'memory_gib>=16', 'disk_gib>=50']),
  scope: fc.constantFrom(1, 2),
  priority: fc.integer({ min: 0, max: 2 }),
  createdAt: fc.nat(10),
});

it('assigns and leaves unmet exactly what the naive per-pair matcher does, on random fleets and queues', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(poolArb, { maxLength: 4 }),
      fc.array(workerArb, { maxLength: 8 }),
      fc.array(requestArb, { maxLength: 15 }),
      async (poolSpecs, workerSpecs, requestSpecs) => {
        await resetDatabase(ctx.db);
        await addScope(ctx.db, 'scope-1');
        await addScope(ctx.db, 'scope-2');
        const pools: RefPool[] = [];
        for (const [index, spec] of poolSpecs.entries()) {
          const name = `pool-${index + 1}`;
          const scoped = spec.scopedTo !== undefined;
          await addPool(ctx.db, {
            name,
            tags: spec.tags,
            architectures: spec.architectures,
            enabled: spec.enabled,
            instanceWide: !scoped,
            ...(scoped ? { scope: `scope-${spec.scopedTo}` } : {}),
          });
          const links = new Map<number, number>(scoped ? [[spec.scopedTo!, 0]] : []);
          if (!scoped) {
            for (const link of spec.links) {
              await linkScopePool(ctx.db, { scope: `scope-${link.scope}`, pool: name, priority: link.priority });
              links.set(link.scope, link.priority);
            }
          }
          pools.push({ id: index + 1, name, tags: spec.tags, architectures: spec.architectures, instanceWide: !scoped, enabled: spec.enabled, links });
        }
        const workers: RefWorker[] = [];
        for (const [index, spec] of workerSpecs.entries()) {
          const poolId = spec.pool !== undefined && pools.length ? (spec.pool % pools.length) + 1 : null;
          const metadata = workerMetadata({
            'system:host_architecture': spec.arch,
            'system:architectures': [spec.arch],
            'executor:unshare:available': spec.unshare,
            'sbuild:available': spec.sbuild,
            'system:total_physical_memory': spec.memoryGib * 2 ** 30,
          });
          await addWorker(ctx.db, {
            name: `worker-${index + 1}`,
            pool: poolId ? `pool-${poolId}` : undefined,
            metadata,
            adminTags: spec.adminTags,
            concurrency: spec.concurrency,
            connected: spec.connected,
            enabled: spec.enabled,
            connectedAt: new Date(Date.UTC(2026, 0, 1, spec.connectedAt)),
          });
          workers.push({
            id: index + 1,
            poolId,
            metadata,
            adminTags: spec.adminTags,
            concurrency: spec.concurrency,
            active: 0,
            available: spec.connected && spec.enabled,
            connectedAt: spec.connectedAt,
          });
        }
        const requests: RefRequest[] = [];
        for (const [index, spec] of requestSpecs.entries()) {
          const data = spec.task === 'noop' ? {} : taskData(spec.task, { host_architecture: spec.arch ?? 'amd64' });
          await addRequest(ctx.db, {
            scope: `scope-${spec.scope}`,
            taskName: spec.task,
            taskData: data,
            workerRequirements: spec.requirements,
            priorityBase: spec.priority,
            createdAt: new Date(Date.UTC(2026, 0, 1, spec.createdAt)),
          });
          requests.push({
            id: index + 1,
            scopeId: spec.scope,
            priority: spec.priority,
            createdAt: spec.createdAt,
            requirements: mergeRequirements(taskRequirements('Worker', spec.task, data), parseRequirements(spec.requirements, 'r')),
          });
        }

        const expected = referenceDispatch(pools, workers, requests);
        const expectedUnmet = referenceUnmetDemand(pools, expected.unassigned, requirementKey);
        const unmet = await getUnmetDemand(ctx.db);
        expect(
          Object.fromEntries(unmet.map((d) => [`${d.scope.slice(-1)}|${d.requirementSet.key}`, { ids: d.workRequestIds.map(Number).sort((a, b) => a - b), pools: d.pools.map((p) => p.name).sort() }])),
        ).toEqual(
          Object.fromEntries([...expectedUnmet].map(([key, g]) => [key, { ids: g.ids.sort((a, b) => a - b), pools: g.pools }])),
        );
        const { assignments } = await runDispatchPass(ctx.db);
        expect(new Map(assignments.map((a) => [Number(a.workRequestId), Number(a.workerId)]))).toEqual(expected.assignments);
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);
