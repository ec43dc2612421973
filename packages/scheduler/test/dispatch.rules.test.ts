import { linkScopePool } from '@buildfleet/models';
import { assignNextForWorker, getUnmetDemand, runDispatchPass, tagWorker, UNMET_DEMAND_LISTED } from '../src';
import { addPool, addRequest, addScope, addWorker, assignmentsByName, resetDatabase, useDatabase, workerMetadata } from './fixtures';
import { taskData } from './task-data';

const ctx = useDatabase();

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
  await addScope(ctx.db, 'kali');
});

describe('numeric requirements', () => {
  it('are met by an equal value', async () => {
    await addWorker(ctx.db, { name: 'w16' });
    const id = await addRequest(ctx.db, { workerRequirements: ['memory_gib>=16'] });
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [id]: 'w16' });
  });

  it('are not met by a smaller value', async () => {
    await addWorker(ctx.db, { name: 'w16' });
    await addRequest(ctx.db, { workerRequirements: ['memory_gib>=17'] });
    expect((await runDispatchPass(ctx.db)).assignments).toEqual([]);
  });

  it('are not met by a worker without that tag', async () => {
    await addWorker(ctx.db, { name: 'w' });
    await addRequest(ctx.db, { workerRequirements: ['disk_gib>=1'] });
    expect((await runDispatchPass(ctx.db)).assignments).toEqual([]);
  });

  it('are met by an admin tag, which overrides the reported value', async () => {
    const id = await addRequest(ctx.db, { workerRequirements: ['disk_gib>=100', 'memory_gib>=32'] });
    await addWorker(ctx.db, { name: 'big', adminTags: ['disk_gib=200'] });
    expect((await runDispatchPass(ctx.db)).assignments).toEqual([]);
    await tagWorker(ctx.db, 'big', ['memory_gib=32']);
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [id]: 'big' });
  });
});

describe('plain requirements', () => {
  it('match reported capabilities: architecture, executor and task', async () => {
    await addWorker(ctx.db, { name: 'amd64' });
    await addWorker(ctx.db, { name: 'arm64', metadata: workerMetadata({ 'system:host_architecture': 'arm64', 'system:architectures': ['arm64'] }) });
    const arm = await addRequest(ctx.db, { taskName: 'sbuild', taskData: taskData('sbuild', { host_architecture: 'arm64' }) });
    const amd = await addRequest(ctx.db, { taskName: 'sbuild', taskData: taskData('sbuild', { host_architecture: 'amd64' }) });
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [arm]: 'arm64', [amd]: 'amd64' });
  });

  it('leave work for an executor nobody has unassigned', async () => {
    await addWorker(ctx.db, { name: 'w' });
    await addRequest(ctx.db, { taskName: 'autopkgtest', taskData: taskData('autopkgtest', { backend: 'incus-lxc' }) });
    expect((await runDispatchPass(ctx.db)).assignments).toEqual([]);
  });

  it('match tags a pool gives its workers', async () => {
    await addPool(ctx.db, { name: 'paris', tags: ['site:paris'] });
    await addWorker(ctx.db, { name: 'static' });
    await addWorker(ctx.db, { name: 'paris-001', pool: 'paris' });
    const id = await addRequest(ctx.db, { taskData: { worker_requirements: ['site:paris'] } });
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [id]: 'paris-001' });
  });
});

describe('order', () => {
  it('serves the highest effective priority first, then the oldest', async () => {
    await addWorker(ctx.db, { name: 'only' });
    const old = await addRequest(ctx.db, { createdAt: new Date('2026-01-01') });
    await addRequest(ctx.db, { createdAt: new Date('2026-01-02') });
    const urgent = await addRequest(ctx.db, { priorityBase: 1, priorityAdjustment: 5, createdAt: new Date('2026-01-03') });
    await runDispatchPass(ctx.db);
    expect(Object.keys(await assignmentsByName(ctx.db))).toEqual([urgent]);
    await ctx.db.sequelize.query(`update work_requests set status = 'completed', completed_at = now() where id = ${urgent}`);
    await runDispatchPass(ctx.db);
    expect(Object.keys(await assignmentsByName(ctx.db))).toEqual([old, urgent]);
  });

  it('prefers workers without a pool, then pools by the scope’s priority, then other instance-wide pools', async () => {
    await addPool(ctx.db, { name: 'cheap' });
    await addPool(ctx.db, { name: 'pricey' });
    await addPool(ctx.db, { name: 'unlinked' });
    await linkScopePool(ctx.db, { scope: 'debian', pool: 'cheap', priority: 10 });
    await linkScopePool(ctx.db, { scope: 'debian', pool: 'pricey', priority: 1 });
    await addWorker(ctx.db, { name: 'unlinked-001', pool: 'unlinked', connectedAt: new Date('2026-01-01') });
    await addWorker(ctx.db, { name: 'pricey-001', pool: 'pricey', connectedAt: new Date('2026-01-01') });
    await addWorker(ctx.db, { name: 'cheap-001', pool: 'cheap' });
    await addWorker(ctx.db, { name: 'static' });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await addRequest(ctx.db, { createdAt: new Date(2026, 0, 1 + i) }));
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({
      [ids[0]!]: 'static',
      [ids[1]!]: 'cheap-001',
      [ids[2]!]: 'pricey-001',
      [ids[3]!]: 'unlinked-001',
    });
  });
});

describe('scopes', () => {
  it('keep a scope-only pool for its own scope', async () => {
    await addPool(ctx.db, { name: 'kali-only', instanceWide: false, scope: 'kali' });
    await addWorker(ctx.db, { name: 'kali-only-001', pool: 'kali-only' });
    const debian = await addRequest(ctx.db, { scope: 'debian', createdAt: new Date('2026-01-01') });
    const kali = await addRequest(ctx.db, { scope: 'kali', createdAt: new Date('2026-01-02') });
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [kali]: 'kali-only-001' });
    expect((await getUnmetDemand(ctx.db)).map((d) => [d.scope, d.workRequestIds])).toEqual([['debian', [debian]]]);
  });

  it('keep a scope-only pool for its own scope when its worker asks for work, as the pass does', async () => {
    await addPool(ctx.db, { name: 'kali-only', instanceWide: false, scope: 'kali' });
    await addPool(ctx.db, { name: 'shared' });
    const kaliWorker = await addWorker(ctx.db, { name: 'kali-only-001', pool: 'kali-only' });
    const sharedWorker = await addWorker(ctx.db, { name: 'shared-001', pool: 'shared' });
    const debian = await addRequest(ctx.db, { scope: 'debian', createdAt: new Date('2026-01-01') });
    const kali = await addRequest(ctx.db, { scope: 'kali', createdAt: new Date('2026-01-02') });
    expect((await assignNextForWorker(ctx.db, kaliWorker))?.id).toBe(kali);
    expect((await assignNextForWorker(ctx.db, sharedWorker))?.id).toBe(debian);
  });
});

describe('reading the queue', () => {
  it('gives a group every free slot its priority earns, beyond the share of the queue a pass reads of each group first', async () => {
    await addScope(ctx.db, 'ubuntu');
    for (let i = 0; i < 10; i++) await addWorker(ctx.db, { name: `w${i}` });
    const urgent = [];
    for (let i = 0; i < 10; i++) urgent.push(await addRequest(ctx.db, { scope: 'debian', priorityBase: 5 }));
    for (const scope of ['kali', 'ubuntu']) for (let i = 0; i < 10; i++) await addRequest(ctx.db, { scope });

    // Three groups of ten able to take the same ten slots: each is read eight at a time first.
    const { assignments, unassigned } = await runDispatchPass(ctx.db);

    expect(assignments.map((a) => a.workRequestId).sort()).toEqual(urgent.sort());
    expect(unassigned).toBe(20);
  });
});

describe('capacity', () => {
  it('gives a worker at most its concurrency, counting pending and running work', async () => {
    await addWorker(ctx.db, { name: 'double', concurrency: 2 });
    const first = await addRequest(ctx.db);
    await runDispatchPass(ctx.db);
    await ctx.db.sequelize.query(`update work_requests set status = 'running', started_at = now() where id = ${first}`);
    await addRequest(ctx.db);
    await addRequest(ctx.db);
    const { assignments, unassigned } = await runDispatchPass(ctx.db);
    expect(assignments).toHaveLength(1);
    expect(unassigned).toBe(1);
  });

  it('skips disconnected workers and workers whose token is disabled', async () => {
    await addWorker(ctx.db, { name: 'gone', connected: false });
    await addWorker(ctx.db, { name: 'disabled', enabled: false });
    await addRequest(ctx.db);
    expect((await runDispatchPass(ctx.db)).assignments).toEqual([]);
  });
});

describe('allow and deny lists', () => {
  it('are respected', async () => {
    await addWorker(ctx.db, { name: 'builds-only', metadata: workerMetadata({ tasks_allowlist: ['sbuild'] }) });
    await addWorker(ctx.db, { name: 'no-sbuild', metadata: workerMetadata({ tasks_denylist: ['sbuild'] }) });
    const noop = await addRequest(ctx.db, { createdAt: new Date('2026-01-01') });
    const sbuild = await addRequest(ctx.db, { taskName: 'sbuild', taskData: taskData('sbuild'), createdAt: new Date('2026-01-02') });
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [noop]: 'no-sbuild', [sbuild]: 'builds-only' });
  });
});

describe('unmet demand', () => {
  it('lists waiting work per scope and requirement set with the pools able to serve it', async () => {
    await addPool(ctx.db, { name: 'small', tags: ['memory_gib=8'] });
    await addPool(ctx.db, { name: 'large', tags: ['memory_gib=64'] });
    await addPool(ctx.db, { name: 'off', tags: ['memory_gib=64'], enabled: false });
    await addPool(ctx.db, { name: 'arm', architectures: ['arm64'] });
    await addPool(ctx.db, { name: 'kali-only', instanceWide: false, scope: 'kali', tags: ['memory_gib=64'] });
    await linkScopePool(ctx.db, { scope: 'debian', pool: 'large', priority: 3 });
    const a = await addRequest(ctx.db, { taskName: 'sbuild', taskData: taskData('sbuild', { worker_requirements: ['memory_gib>=32'] }) });
    const b = await addRequest(ctx.db, { taskName: 'sbuild', taskData: taskData('sbuild', { worker_requirements: ['memory_gib>=32'] }), priorityBase: 2 });
    const demand = await getUnmetDemand(ctx.db);
    expect(demand).toEqual([
      expect.objectContaining({
        scope: 'debian',
        pending: 2,
        maxPriority: 2,
        workRequestIds: [b, a],
        requirementSet: expect.objectContaining({ key: 'arch:amd64 available:sbuild executor:unshare task:sbuild worker-type:external memory_gib>=32' }),
        pools: [
          { name: 'large', enabled: true, priority: 3, instanceWide: true },
          { name: 'off', enabled: false, priority: null, instanceWide: true },
        ],
      }),
    ]);
  });

  it('counts work that capable but busy workers cannot take now', async () => {
    await addWorker(ctx.db, { name: 'w' });
    await addRequest(ctx.db);
    await addRequest(ctx.db);
    const [demand] = await getUnmetDemand(ctx.db);
    expect(demand?.pending).toBe(1);
  });

  it(`lists the first ${UNMET_DEMAND_LISTED} of a deep backlog in queue order, after the ones a pass takes, and counts them all`, async () => {
    await addWorker(ctx.db, { name: 'w', concurrency: 2 });
    const total = UNMET_DEMAND_LISTED + 30;
    const ids: string[] = [];
    for (let i = 0; i < total; i++) ids.push(await addRequest(ctx.db, { createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }));
    const urgent = await addRequest(ctx.db, { priorityBase: 5 });
    const [demand] = await getUnmetDemand(ctx.db);
    // The free worker's two slots take the urgent request and the oldest; the rest wait.
    expect(demand?.pending).toBe(total - 1);
    expect(demand?.workRequestIds).toEqual(ids.slice(1, 1 + UNMET_DEMAND_LISTED));
    expect(urgent).not.toBe(demand?.workRequestIds[0]);
  });

  it('respects a pool that declares which tasks its image runs', async () => {
    await addPool(ctx.db, { name: 'builders', tags: ['task:sbuild', 'executor:unshare'] });
    await addRequest(ctx.db, { taskName: 'autopkgtest', taskData: taskData('autopkgtest') });
    await addRequest(ctx.db, { taskName: 'sbuild', taskData: taskData('sbuild') });
    const demand = await getUnmetDemand(ctx.db);
    expect(demand.map((d) => [d.requirementSet.key.split(' ').find((t) => t.startsWith('task:')), d.pools.map((p) => p.name)])).toEqual([
      ['task:autopkgtest', []],
      ['task:sbuild', ['builders']],
    ]);
  });
});

it('refuses bad requirement strings when the work request is created, writing nothing', async () => {
  for (const bad of ['memory_gib>=lots', '=5', '']) {
    await expect(addRequest(ctx.db, { workerRequirements: ['site:paris', bad] })).rejects.toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: 'worker_requirements[1]' })] }),
    );
  }
  await expect(addRequest(ctx.db, { taskData: { worker_requirements: 'memory_gib>=4' } })).rejects.toThrow(
    /task_data.worker_requirements/,
  );
  expect(await ctx.db.models.WorkRequest.count()).toBe(0);
});

it('reports the problems of every requirement list at once', async () => {
  await expect(
    addRequest(ctx.db, { taskData: { worker_requirements: ['=5'] }, workerRequirements: ['memory_gib>=lots'] }),
  ).rejects.toThrow(
    expect.objectContaining({
      issues: [
        expect.objectContaining({ field: 'task_data.worker_requirements[0]' }),
        expect.objectContaining({ field: 'worker_requirements[0]' }),
      ],
    }),
  );
});

it('refuses priorities whose sum could overflow, writing nothing', async () => {
  await expect(addRequest(ctx.db, { priorityBase: 2_000_000_000, workerRequirements: ['site:new'] })).rejects.toThrow(/priorityBase/);
  const [[{ sets }]] = (await ctx.db.sequelize.query('select count(*)::int as sets from requirement_sets')) as [[{ sets: number }], unknown];
  expect(sets).toBe(0);
});
