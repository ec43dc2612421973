import {
  ConflictError,
  deleteWorkerPool,
  getWorkerPool,
  linkScopePool,
  listScopePoolLinks,
  listWorkerPools,
  NotFoundError,
  setWorkerPoolEnabled,
  unlinkScopePool,
  updateWorkerPool,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
  ValidationError,
  violatedConstraint,
  type WorkerPoolInput,
} from '../src';
import { awsAccountData, awsLaunchTemplate, awsSpecification, hetznerAccountData, hetznerSpecification } from './fixtures';
import { useDatabase } from './helpers';

const ctx = useDatabase();

beforeEach(async () => {
  await ctx.db.sequelize.query('truncate workers, worker_pools, scope_worker_pools, scopes, provider_accounts, tokens cascade');
  await upsertProviderAccount(ctx.db, awsAccountData());
  await upsertProviderAccount(ctx.db, hetznerAccountData());
  await upsertScope(ctx.db, { name: 'debian' });
  await upsertScope(ctx.db, { name: 'kali' });
});

function awsPool(overrides: Partial<WorkerPoolInput> = {}): WorkerPoolInput {
  return { name: 'aws-spot', providerAccount: 'aws-main', architectures: ['amd64'], specifications: awsSpecification(), ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

it('creates a pool with the documented defaults, and updates it when created again', async () => {
  const { pool, created } = await upsertWorkerPool(ctx.db, awsPool());
  expect(created).toBe(true);
  expect(pool).toMatchObject({
    providerAccount: 'aws-main',
    providerType: 'aws',
    enabled: true,
    instanceWide: true,
    ephemeral: false,
    limits: { max_active_instances: null, target_max_seconds_per_month: null, max_idle_seconds: 3600 },
    workers: { total: 0, running: 0 },
  });
  const again = await upsertWorkerPool(ctx.db, awsPool({ tags: ['site:paris', 'memory_gib=8'], limits: { max_active_instances: 5 } }));
  expect(again.created).toBe(false);
  expect(again.pool.tags).toEqual(['site:paris', 'memory_gib=8']);
  expect(again.pool.limits.max_active_instances).toBe(5);
  expect(await listWorkerPools(ctx.db)).toHaveLength(1);
});

it.each([
  ['unknown specification fields', { specifications: awsSpecification({ launch_template: [] }) }, 'specifications.launch_template'],
  ['unknown limit fields', { limits: { max_active: 2 } }, 'limits.max_active'],
  ['negative limits', { limits: { max_active_instances: -2 } }, 'limits.max_active_instances'],
  [
    'both InstanceType and InstanceRequirements',
    { specifications: awsSpecification({ launch_templates: [awsLaunchTemplate({ InstanceRequirements: { VCpuCount: { Min: 1 }, MemoryMiB: { Min: 1 } } })] }) },
    'specifications.launch_templates[0].InstanceRequirements',
  ],
  [
    'a duplicate DeviceIndex',
    { specifications: awsSpecification({ launch_templates: [awsLaunchTemplate({ NetworkInterfaces: [{}, {}] })] }) },
    'specifications.launch_templates[0].NetworkInterfaces[1].DeviceIndex',
  ],
  ['a specification for another provider', { specifications: hetznerSpecification() }, 'specifications.provider_type'],
  ['no architecture', { architectures: [] }, 'architectures'],
  ['a bad tag', { tags: ['memory_gib=lots'] }, 'tags[0]'],
  ['an upper-case name', { name: 'AWS' }, 'name'],
  ['a scope-only pool without its scope', { instanceWide: false }, 'scope'],
])('refuses a pool with %s, naming %s, and writes nothing', async (_case, overrides, field) => {
  const error = await rejection(upsertWorkerPool(ctx.db, awsPool(overrides)));
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).issues.map((i) => i.field)).toContain(field);
  expect(error.message).toContain(field);
  expect(await listWorkerPools(ctx.db)).toEqual([]);
});

it('reports every problem of a pool at once', async () => {
  const error = (await rejection(
    upsertWorkerPool(ctx.db, awsPool({ architectures: [], limits: { max_idle_seconds: -1 }, tags: [''] })),
  )) as ValidationError;
  expect(error.issues.map((i) => i.field).sort()).toEqual(['architectures', 'limits.max_idle_seconds', 'tags[0]']);
});

it('names the missing account', async () => {
  await expect(upsertWorkerPool(ctx.db, awsPool({ providerAccount: 'nope' }))).rejects.toThrow(NotFoundError);
});

it('updates only the given fields, and toggles enabled', async () => {
  await upsertWorkerPool(ctx.db, awsPool({ tags: ['site:paris'] }));
  await updateWorkerPool(ctx.db, 'aws-spot', { ephemeral: true });
  const disabled = await setWorkerPoolEnabled(ctx.db, 'aws-spot', false);
  expect(disabled).toMatchObject({ ephemeral: true, enabled: false, tags: ['site:paris'] });
});

it('moves a pool to an account of another provider only together with a matching specification', async () => {
  await upsertWorkerPool(ctx.db, awsPool());
  await expect(updateWorkerPool(ctx.db, 'aws-spot', { providerAccount: 'hetzner-main' })).rejects.toThrow(/give new specifications/);
  const moved = await updateWorkerPool(ctx.db, 'aws-spot', { providerAccount: 'hetzner-main', specifications: hetznerSpecification() });
  expect(moved.providerType).toBe('hetzner');
});

describe('scope-only pools', () => {
  it('belong to the one scope named at creation', async () => {
    await upsertWorkerPool(ctx.db, awsPool({ instanceWide: false, scope: 'debian' }));
    expect((await getWorkerPool(ctx.db, 'aws-spot')).scopes).toEqual([{ scope: 'debian', priority: 0 }]);
  });

  it('cannot be linked to a second scope', async () => {
    await upsertWorkerPool(ctx.db, awsPool({ instanceWide: false, scope: 'debian' }));
    const error = await rejection(linkScopePool(ctx.db, { scope: 'kali', pool: 'aws-spot' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/already belongs to another scope/);
    expect(await listScopePoolLinks(ctx.db, { pool: 'aws-spot' })).toEqual([expect.objectContaining({ scope: 'debian' })]);
  });

  it('are held to one scope by the database itself, not only by the code', async () => {
    await upsertWorkerPool(ctx.db, awsPool({ instanceWide: false, scope: 'debian' }));
    const error = await rejection(
      ctx.db.sequelize.query(
        `insert into scope_worker_pools (scope_id, worker_pool_id, pool_instance_wide)
         select s.id, p.id, false from scopes s, worker_pools p where s.name = 'kali' and p.name = 'aws-spot'`,
      ),
    );
    expect(violatedConstraint(error)).toBe('scope_worker_pools_scoped_pool_once');
    await expect(
      ctx.db.sequelize.query(
        `insert into worker_pools (name, provider_account_id, provider_type, instance_wide, specifications)
         select 'orphan', id, provider_type, false, '{}' from provider_accounts where name = 'aws-main'`,
      ),
    ).rejects.toThrow(/must be linked to exactly one scope/);
  });

  it('cannot lose their only scope', async () => {
    await upsertWorkerPool(ctx.db, awsPool({ instanceWide: false, scope: 'debian' }));
    await expect(unlinkScopePool(ctx.db, 'debian', 'aws-spot')).rejects.toThrow(/serves only scope "debian"/);
  });

  it('cannot become scope-only while linked to two scopes', async () => {
    await upsertWorkerPool(ctx.db, awsPool());
    await linkScopePool(ctx.db, { scope: 'debian', pool: 'aws-spot' });
    await linkScopePool(ctx.db, { scope: 'kali', pool: 'aws-spot' });
    await expect(updateWorkerPool(ctx.db, 'aws-spot', { instanceWide: false })).rejects.toThrow(ConflictError);
    expect((await getWorkerPool(ctx.db, 'aws-spot')).instanceWide).toBe(true);
  });
});

it('links scopes to instance-wide pools with a priority and scope limits, idempotently', async () => {
  await upsertWorkerPool(ctx.db, awsPool());
  await linkScopePool(ctx.db, { scope: 'debian', pool: 'aws-spot', priority: 5 });
  const link = await linkScopePool(ctx.db, { scope: 'debian', pool: 'aws-spot', limits: { target_latency_seconds: 600 } });
  expect(link).toMatchObject({ priority: 5, limits: { target_latency_seconds: 600, target_max_seconds_per_month: null } });
  await expect(linkScopePool(ctx.db, { scope: 'debian', pool: 'aws-spot', limits: { target_latency: 1 } })).rejects.toThrow(
    ValidationError,
  );
});

describe('deleting a pool', () => {
  async function addWorker(name: string, running: boolean) {
    const pool = await ctx.db.models.WorkerPool.findOne({ where: { name: 'aws-spot' } });
    const token = await ctx.db.models.Token.create({ hash: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'), expireAt: null, userName: null });
    await ctx.db.models.Worker.create({
      name,
      workerPoolId: pool!.id,
      tokenId: null,
      activationTokenId: token.id,
      instanceCreatedAt: running ? new Date() : null,
    });
  }

  it('refuses while instances run, naming them', async () => {
    await upsertWorkerPool(ctx.db, awsPool());
    await addWorker('aws-spot-001', true);
    await addWorker('aws-spot-002', false);
    await expect(deleteWorkerPool(ctx.db, 'aws-spot')).rejects.toThrow(/1 running instance \(aws-spot-001\)/);
    expect(await listWorkerPools(ctx.db)).toHaveLength(1);
  });

  it('deletes the pool, its workers and their tokens when forced, reporting what still runs', async () => {
    await upsertWorkerPool(ctx.db, awsPool());
    await addWorker('aws-spot-001', true);
    expect(await deleteWorkerPool(ctx.db, 'aws-spot', { force: true })).toEqual({
      deletedWorkers: 1,
      runningInstances: ['aws-spot-001'],
    });
    expect(await ctx.db.models.Worker.count()).toBe(0);
    expect(await ctx.db.models.Token.count()).toBe(0);
  });
});
