import {
  getWorker,
  getWorkerPool,
  hashTokenKey,
  listImagesInUse,
  updateWorkerPool,
  upsertProviderAccount,
  upsertWorkerPool,
  ValidationError,
  type WorkerPoolInput,
} from '../src';
import { awsAccountData, awsLaunchTemplate, awsSpecification, hetznerAccountData, hetznerSpecification } from './fixtures';
import { useDatabase } from './helpers';

const ctx = useDatabase();

beforeEach(async () => {
  await ctx.db.sequelize.query('truncate workers, worker_pools, scope_worker_pools, scopes, provider_accounts, tokens cascade');
  await upsertProviderAccount(ctx.db, awsAccountData());
  await upsertProviderAccount(ctx.db, hetznerAccountData());
});

function awsPool(overrides: Partial<WorkerPoolInput> = {}): WorkerPoolInput {
  const specifications = awsSpecification({ launch_templates: [awsLaunchTemplate(), awsLaunchTemplate({ InstanceType: 'm7a.large' })] });
  return { name: 'aws-spot', providerAccount: 'aws-main', architectures: ['amd64'], specifications, ...overrides };
}

async function liveWorker(pool: string, name: string, image: string | null): Promise<void> {
  await ctx.db.sequelize.query(
    `with token as (insert into tokens (hash) values ($4::text) returning id)
     insert into workers (name, worker_pool_id, activation_token_id, instance_created_at, image_id)
     select $1::text, p.id, token.id, now(), $3::text from worker_pools p, token where p.name = $2::text`,
    { bind: [name, pool, image, hashTokenKey(name)] },
  );
}

it('sets one image into every launch template of an AWS pool, and shows it as the pool image', async () => {
  await upsertWorkerPool(ctx.db, awsPool());
  const pool = await updateWorkerPool(ctx.db, 'aws-spot', { image: 'ami-0fedcba9876543210' });
  expect(pool.image).toBe('ami-0fedcba9876543210');
  expect(pool.specifications.provider_type === 'aws' && pool.specifications.launch_templates.map((t) => t.ImageId)).toEqual([
    'ami-0fedcba9876543210',
    'ami-0fedcba9876543210',
  ]);
  expect(pool.specifications.provider_type === 'aws' && pool.specifications.launch_templates[1]!.InstanceType).toBe('m7a.large');
});

it('sets the Hetzner image_name (a snapshot id) as the pool image', async () => {
  await upsertWorkerPool(ctx.db, { name: 'hetzner-cx32', providerAccount: 'hetzner-main', architectures: ['amd64'], specifications: hetznerSpecification() });
  expect((await getWorkerPool(ctx.db, 'hetzner-cx32')).image).toBe('debian-13');
  const pool = await updateWorkerPool(ctx.db, 'hetzner-cx32', { image: '48213377' });
  expect(pool.image).toBe('48213377');
  expect(pool.specifications).toMatchObject({ image_name: '48213377', server_type: 'cx32' });
});

it('refuses launch templates naming different images, and a blank image, writing nothing', async () => {
  const mixed = awsPool({
    specifications: awsSpecification({ launch_templates: [awsLaunchTemplate(), awsLaunchTemplate({ ImageId: 'ami-0aaaaaaaaaaaaaaaa' })] }),
  });
  const error = await upsertWorkerPool(ctx.db, mixed).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).message).toContain('specifications.launch_templates[1].ImageId');
  expect((error as ValidationError).message).toContain('give every template the same ImageId');

  await upsertWorkerPool(ctx.db, awsPool());
  const blank = await updateWorkerPool(ctx.db, 'aws-spot', { image: ' ', limits: { max_active_instances: 3 } }).catch((e: unknown) => e);
  expect((blank as ValidationError).issues.map((i) => i.field)).toEqual(['image']);
  const unchanged = await getWorkerPool(ctx.db, 'aws-spot');
  expect(unchanged.image).toBe('ami-0123456789abcdef0');
  expect(unchanged.limits.max_active_instances).toBeNull();
});

it('counts the running instances launched from another image than the pool names', async () => {
  await upsertWorkerPool(ctx.db, awsPool());
  await liveWorker('aws-spot', 'aws-spot-001', 'ami-0123456789abcdef0');
  await liveWorker('aws-spot', 'aws-spot-002', 'ami-0123456789abcdef0');
  await liveWorker('aws-spot', 'aws-spot-003', null);
  expect((await getWorkerPool(ctx.db, 'aws-spot')).workers).toEqual({ total: 3, running: 3, outdatedImage: 0 });
  await updateWorkerPool(ctx.db, 'aws-spot', { image: 'ami-0fedcba9876543210' });
  expect((await getWorkerPool(ctx.db, 'aws-spot')).workers).toEqual({ total: 3, running: 3, outdatedImage: 2 });
  expect((await getWorker(ctx.db, 'aws-spot-001')).image).toBe('ami-0123456789abcdef0');
});

it('lists the images pools name and live instances run, and forgets stopped instances', async () => {
  await upsertWorkerPool(ctx.db, awsPool());
  await upsertWorkerPool(ctx.db, awsPool({ name: 'aws-big' }));
  await liveWorker('aws-spot', 'aws-spot-001', 'ami-0old');
  await liveWorker('aws-spot', 'aws-spot-002', 'ami-0old');
  await liveWorker('aws-spot', 'aws-spot-003', 'ami-0older');
  await ctx.db.sequelize.query(`update workers set instance_created_at = null where name = 'aws-spot-003'`);
  expect(await listImagesInUse(ctx.db)).toEqual({
    pools: { 'ami-0123456789abcdef0': ['aws-big', 'aws-spot'] },
    instances: { 'ami-0old': 2 },
  });
});
