import { type PoolCreateResult } from '../src/commands/pool/create';
import { type PoolDeleteResult } from '../src/commands/pool/delete';
import { type PoolListResult } from '../src/commands/pool/list';
import { type PoolShowResult } from '../src/commands/pool/show';
import { type PoolUpdateResult } from '../src/commands/pool/update';
import { type WorkerShowResult } from '../src/commands/worker/show';
import { type ErrorResult } from '../src/shared/base-command';
import {
  awsAccount,
  awsLaunchTemplate,
  awsSpecification,
  cli,
  cliJson,
  expectNoSecret,
  hetznerAccount,
  useCliDatabase,
} from './helpers';

const db = useCliDatabase();

beforeAll(async () => {
  for (const account of [awsAccount(), hetznerAccount()]) await cli(`account create --data ${await db.yamlFile(account)}`);
  await cli('scope create debian');
  await cli('scope create team');
});

/** `pool create NAME` of a valid AWS pool, plus `extra` flags. */
async function awsPool(name: string, extra = '', account = 'aws-main'): Promise<string> {
  return `pool create ${name} --provider-account ${account} --architectures amd64 --specifications ${await db.yamlFile(awsSpecification())} ${extra}`;
}

async function createAwsPool(name: string, extra = '') {
  return cliJson<PoolCreateResult>(await awsPool(name, extra));
}

describe('pool create', () => {
  it('creates the pool, and applies the flags to the same pool when run again', async () => {
    const first = await createAwsPool('aws-amd64');
    expect(first.exitCode).toBe(0);
    expect(first.json).toMatchObject({
      created: true,
      pool: { name: 'aws-amd64', providerAccount: 'aws-main', enabled: true, instanceWide: true, ephemeral: false, architectures: ['amd64'] },
    });

    const again = await createAwsPool('aws-amd64', '--tags executor:unshare,memory_gib=16 --no-enabled');
    expect(again.json).toMatchObject({ created: false, pool: { tags: ['executor:unshare', 'memory_gib=16'], enabled: false } });
    expect(await db.query(`select name from worker_pools where name = 'aws-amd64'`)).toHaveLength(1);
  });

  it('prints the pool as text without --json', async () => {
    const { stdout, exitCode } = await cli(
      `pool create text-pool --provider-account aws-main --architectures amd64,arm64 --specifications ${await db.yamlFile(awsSpecification())}`,
    );
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Created worker pool "text-pool".');
    expect(stdout).toMatch(/Architectures:\s+amd64, arm64/);
  });

  it('creates a pool serving only one scope with --no-instance-wide --scope', async () => {
    const { json, exitCode } = await createAwsPool('team-only', '--no-instance-wide --scope team');
    expect(exitCode).toBe(0);
    expect(json.pool).toMatchObject({ instanceWide: false, scopes: [{ scope: 'team', priority: 0 }] });
  });

  const template = awsLaunchTemplate;
  const badSpecifications: [string, unknown, string][] = [
    ['a misspelled launch template field', { launch_templates: [{ ImageId: 'ami-1', InstanceTyp: 'm6a.large' }] }, 'specifications.launch_templates[0].InstanceTyp: unknown field; did you mean "InstanceType"?'],
    ['an unknown top-level field', awsSpecification({ spot_price: 1 }), 'specifications.spot_price: unknown field'],
    [
      'both InstanceType and InstanceRequirements',
      { launch_templates: [template({ InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 } } })] },
      'specifications.launch_templates[0].InstanceRequirements: give exactly one of InstanceType or InstanceRequirements (both were given)',
    ],
    [
      'neither InstanceType nor InstanceRequirements',
      { launch_templates: [{ ImageId: 'ami-1' }] },
      'specifications.launch_templates[0].InstanceType: give exactly one of InstanceType or InstanceRequirements (neither was given)',
    ],
    [
      'a duplicate DeviceIndex',
      { launch_templates: [template({ NetworkInterfaces: [{ DeviceIndex: 0 }, { DeviceIndex: 0 }] })] },
      'specifications.launch_templates[0].NetworkInterfaces[1].DeviceIndex: DeviceIndex 0 is used by another interface',
    ],
    [
      "a provider_type other than the account's",
      { provider_type: 'hetzner', server_type: 'cx32', image_name: 'debian-13' },
      'specifications.provider_type: is "hetzner" but the provider account is aws',
    ],
  ];
  it.each(badSpecifications)('refuses %s with exit 2, naming the field, and writes nothing', async (_case, specifications, message) => {
    const { error, exitCode } = await cli(
      `pool create bad-pool --provider-account aws-main --architectures amd64 --specifications ${await db.yamlFile(specifications)}`,
    );
    expect(exitCode).toBe(2);
    expect(error?.message).toContain(message);
    expect(await db.query(`select 1 from worker_pools where name = 'bad-pool'`)).toEqual([]);
  });

  it.each([
    ['a misspelled field', { max_idle_second: 60 }, 'limits.max_idle_second: unknown field; did you mean "max_idle_seconds"?'],
    ['a negative limit', { max_active_instances: -1 }, 'limits.max_active_instances: must be 0 or more'],
  ])('refuses limits with %s with exit 2, naming the field, and writes nothing', async (_case, limits, message) => {
    const { error, exitCode } = await cli(await awsPool('bad-pool', `--limits ${await db.yamlFile(limits)}`));
    expect(exitCode).toBe(2);
    expect(error?.message).toContain(message);
    expect(await db.query(`select 1 from worker_pools where name = 'bad-pool'`)).toEqual([]);
  });

  it.each([
    ['no architecture', '--architectures ""', 'architectures: give at least one architecture'],
    ['a bad tag', '--architectures amd64 --tags ok,memory_gib=lots', 'tags[1]: "memory_gib=lots"'],
    ['--no-instance-wide without --scope', '--architectures amd64 --no-instance-wide', 'scope: a pool that is not instance-wide needs the one scope it serves'],
  ])('refuses %s with exit 2, naming the field, and writes nothing', async (_case, flags, message) => {
    const { error, exitCode } = await cli(
      `pool create bad-pool --provider-account aws-main ${flags} --specifications ${await db.yamlFile(awsSpecification())}`,
    );
    expect(exitCode).toBe(2);
    expect(error?.message).toContain(message);
    expect(await db.query(`select 1 from worker_pools where name = 'bad-pool'`)).toEqual([]);
  });

  it('reports every bad field at once', async () => {
    const { error } = await cli(await awsPool('bad-pool', `--tags a=b=c --limits ${await db.yamlFile({ max_idle_seconds: -5 })}`));
    expect(error?.message).toContain('tags[0]');
    expect(error?.message).toContain('limits.max_idle_seconds');
  });

  it('reports invalid YAML with the flag, line and column', async () => {
    const text = 'launch_templates:\n  - ImageId: ami-1\n    InstanceType: [m6a.large\n';
    const { error, exitCode } = await cli(
      `pool create bad-pool --provider-account aws-main --architectures amd64 --specifications ${await db.yamlFile(text)}`,
    );
    expect(exitCode).toBe(2);
    expect(error?.message).toMatch(/--specifications: YAML error at line \d+, column \d+: /);
    expect(await db.query(`select 1 from worker_pools where name = 'bad-pool'`)).toEqual([]);
  });

  it('refuses an empty specifications file, naming the flag', async () => {
    const { error, exitCode } = await cli(
      `pool create bad-pool --provider-account aws-main --architectures amd64 --specifications ${await db.yamlFile('')}`,
    );
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('--specifications: is empty');
  });

  it('refuses standard input for both --specifications and --limits', async () => {
    const { error, exitCode } = await cli('pool create bad-pool --provider-account aws-main --architectures amd64 --specifications - --limits -');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('--specifications, --limits: only one of these can read standard input');
  });

  it('exits 3 for an unknown provider account', async () => {
    const { error, exitCode } = await cli(await awsPool('bad-pool', '', 'nope'));
    expect(exitCode).toBe(3);
    expect(error?.message).toContain('provider account "nope" does not exist');
  });

  it('gives a validation error as JSON with each field under --json', async () => {
    const { json, exitCode } = await createAwsPool('bad-pool', `--limits ${await db.yamlFile({ max_active_instances: -1 })}`);
    expect(exitCode).toBe(2);
    expect(json).toMatchObject({ error: { name: 'ValidationError', exitCode: 2, issues: [{ field: 'limits.max_active_instances' }] } });
  });
});

describe('pool update, enable and disable', () => {
  beforeAll(() => createAwsPool('updated'));

  it('changes only the given fields', async () => {
    const { json, exitCode } = await cliJson<PoolShowResult>(`pool update updated --limits ${await db.yamlFile({ max_active_instances: 5 })}`);
    expect(exitCode).toBe(0);
    expect(json.limits).toEqual({ max_active_instances: 5, target_max_seconds_per_month: null, max_idle_seconds: 3600, max_surge: 1 });
    expect(json.architectures).toEqual(['amd64']);
  });

  it('refuses bad limits and keeps the old ones', async () => {
    const { exitCode } = await cli(`pool update updated --limits ${await db.yamlFile({ max_active_instances: -5 })}`);
    expect(exitCode).toBe(2);
    expect((await cliJson<PoolShowResult>('pool show updated')).json.limits.max_active_instances).toBe(5);
  });

  it('disables and enables the pool', async () => {
    expect((await cliJson<PoolShowResult>('pool disable updated')).json.enabled).toBe(false);
    expect((await cliJson<PoolShowResult>('pool show updated')).json.enabled).toBe(false);
    expect((await cliJson<PoolShowResult>('pool enable updated')).json.enabled).toBe(true);
  });

  it('exits 3 for an unknown pool', async () => {
    expect((await cli('pool update nope --no-enabled')).exitCode).toBe(3);
    expect((await cli('pool enable nope')).exitCode).toBe(3);
  });
});

describe('pool images', () => {
  beforeAll(async () => {
    await cli(`pool create hz --provider-account hetzner-main --architectures amd64 --specifications ${await db.yamlFile({ server_type: 'cx32', image_name: 'debian-13' })}`);
    const twoTemplates = awsSpecification({ launch_templates: [awsLaunchTemplate(), awsLaunchTemplate({ InstanceType: 'c7a.large' })] });
    await cli(`pool create amis --provider-account aws-main --architectures amd64 --specifications ${await db.yamlFile(twoTemplates)}`);
  });

  it('sets the image with --image, records the change, and shows the instances left on the old image', async () => {
    await db.insertWorker('hz-001', 'hz', { running: true });
    await db.query(`update workers set image_id = 'debian-13' where name = 'hz-001'`);
    const { json, exitCode } = await cliJson<PoolUpdateResult>('pool update hz --image 48213377');
    expect(exitCode).toBe(0);
    expect(json.image).toBe('48213377');
    expect(json.specifications).toMatchObject({ image_name: '48213377' });
    expect(json.workers.outdatedImage).toBe(1);
    expect(json.imageDecision).toMatchObject({ kind: 'image', reason: 'ImageSetByAdmin', pool: 'hz', count: 1 });
    const [recorded] = await db.query<{ message: string }>(`select message from provisioning_decisions where pool = 'hz' and kind = 'image'`);
    expect(recorded!.message).toBe('pool hz moves from image debian-13 to 48213377, set by an admin; 1 running instance will be replaced, idle ones first');

    const text = await cli('pool show hz');
    expect(text.stdout).toMatch(/^Image: +48213377$/m);
    expect(text.stdout).toMatch(/^Workers: +1 \(1 running, 1 on an outdated image\)$/m);
    expect((await cli('worker show hz-001')).stdout).toMatch(/^Image: +debian-13$/m);
    expect((await cliJson<WorkerShowResult>('worker show hz-001')).json.image).toBe('debian-13');

    const again = await cliJson<PoolUpdateResult>('pool update hz --image 48213377');
    expect(again.json.imageDecision).toBeNull();
  });

  it('records an image change made by running pool create again with other specifications', async () => {
    const spec = await db.yamlFile({ server_type: 'cx32', image_name: '5550001' });
    const again = await cliJson<PoolCreateResult>(`pool create hz --provider-account hetzner-main --architectures amd64 --specifications ${spec}`);
    expect(again.json).toMatchObject({ created: false, pool: { image: '5550001' }, imageDecision: { reason: 'ImageSetByAdmin', pool: 'hz' } });
    const same = await cliJson<PoolCreateResult>(`pool create hz --provider-account hetzner-main --architectures amd64 --specifications ${spec}`);
    expect(same.json.imageDecision).toBeNull();
  });

  it('takes the image of the pool provider from a manifest', async () => {
    const manifest = await db.yamlFile(
      JSON.stringify({ format: 'buildfleet-image-manifest/1', options: {}, images: { aws: { id: 'ami-0fedcba9876543210' }, hetzner: { id: '777' } } }),
    );
    const aws = await cliJson<PoolUpdateResult>(`pool update amis --image-from-manifest ${manifest}`);
    expect(aws.exitCode).toBe(0);
    expect(aws.json.image).toBe('ami-0fedcba9876543210');
    expect(aws.json.specifications.provider_type === 'aws' && aws.json.specifications.launch_templates.map((t) => t.ImageId)).toEqual([
      'ami-0fedcba9876543210',
      'ami-0fedcba9876543210',
    ]);
    expect((await cliJson<PoolUpdateResult>(`pool update hz --image-from-manifest ${manifest}`)).json.image).toBe('777');
  });

  it('refuses a manifest without the pool provider, an image id that is too long, and both flags, changing nothing', async () => {
    const manifest = await db.yamlFile(JSON.stringify({ format: 'buildfleet-image-manifest/1', options: {}, images: { local: { id: '/x.qcow2' } } }));
    const missing = await cliJson<ErrorResult>(`pool update amis --image-from-manifest ${manifest}`);
    expect(missing.exitCode).toBe(2);
    expect(missing.json.error.message).toContain('the manifest has no aws image (it has: local)');
    const tooLong = await cliJson<ErrorResult>(`pool update amis --image ami-${'0'.repeat(300)}`);
    expect(tooLong.exitCode).toBe(2);
    expect(tooLong.json.error.issues?.map((i) => i.field)).toEqual(['image']);
    expect((await cli(`pool update amis --image ami-1 --image-from-manifest ${manifest}`)).exitCode).toBe(2);
    expect((await cliJson<PoolShowResult>('pool show amis')).json.image).toBe('ami-0fedcba9876543210');
  });
});

describe('pool list and show', () => {
  it('never print a credential value of the pool accounts, in JSON or as text', async () => {
    await cli(
      `pool create hetzner-pool --provider-account hetzner-main --architectures amd64 --specifications ${await db.yamlFile({ server_type: 'cx32', image_name: 'debian-13' })}`,
    );
    const list = await cliJson<PoolListResult>('pool list');
    expect(list.json.map((p) => p.name)).toEqual(expect.arrayContaining(['aws-amd64', 'hetzner-pool']));
    const outputs = [list, await cliJson('pool show aws-amd64'), await cliJson('pool show hetzner-pool'), await cli('pool list'), await cli('pool show hetzner-pool')];
    for (const { stdout, stderr } of outputs) expectNoSecret(stdout + stderr);
  });

  it('show exits 3 for an unknown pool, also as JSON', async () => {
    const { json, exitCode } = await cliJson<ErrorResult>('pool show nope');
    expect(exitCode).toBe(3);
    expect(json.error).toMatchObject({ name: 'NotFoundError', message: expect.stringContaining('worker pool "nope"') });
  });
});

describe('pool delete', () => {
  beforeAll(async () => {
    await createAwsPool('busy');
    await db.insertWorker('busy-001', 'busy', { running: true });
    await db.insertWorker('busy-002', 'busy', { running: false });
  });

  it('refuses with exit 1 while instances run, and deletes nothing', async () => {
    const { error, exitCode } = await cli('pool delete busy');
    expect(exitCode).toBe(1);
    expect(error?.message).toContain('has 1 running instance (busy-001)');
    expect(error?.message).toContain('--force');
    expect((await cliJson<PoolShowResult>('pool show busy')).json.workers).toEqual({ total: 2, running: 1, outdatedImage: 0 });
  });

  it('deletes with --force and lists the instances left running', async () => {
    const { stdout, stderr, exitCode } = await cli('pool delete busy --force');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Deleted worker pool "busy" and 2 worker row(s).');
    expect(stderr).toContain('busy-001');
    expect(await db.query(`select 1 from worker_pools where name = 'busy'`)).toEqual([]);
    expect(await db.query(`select 1 from workers where name like 'busy-%'`)).toEqual([]);
  });

  it('reports the instances left running in the JSON result', async () => {
    await createAwsPool('busy-json');
    await db.insertWorker('busy-json-001', 'busy-json', { running: true });
    const { json } = await cliJson<PoolDeleteResult>('pool delete busy-json --force');
    expect(json).toEqual({ deleted: 'busy-json', deletedWorkers: 1, runningInstances: ['busy-json-001'] });
  });

  it('deletes an idle pool without --force', async () => {
    await createAwsPool('idle');
    expect((await cli('pool delete idle')).exitCode).toBe(0);
    expect((await cli('pool show idle')).exitCode).toBe(3);
  });
});
