import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { buildOnAws, IMAGE_LABELS, imageLabels, plan, pruneImages } from '@buildfleet/image-builder';
import { type Database, listImagesInUse, upsertProviderAccount } from '@buildfleet/models';
import { motoEndpoint, startMoto, stopMoto } from '@buildfleet/moto';
import { QueryTypes } from 'sequelize';
import { movePoolsToImage, tick } from '../src';
import { addPool, addRequest, connectWorker, InMemoryDummyCloud, resetDatabase, tickOptions, useDatabase } from './fixtures';

/**
 * The image lifecycle on EC2, against moto (started from the chroot for this file only): an
 * AMI built with image-builder's AWS runner moves a pool in one recorded step, the next launch
 * uses it and records it on the worker row, and prune keeps it because the pool names it.
 */

const REGION = 'eu-west-3';
const CREDENTIALS = { access_key_id: 'AKIAPROVISIONERMOTO1', secret_access_key: 'provisioner-moto-secret-0001' };
const database = useDatabase();
let db: Database;
let client: EC2Client;
let output = '';

beforeAll(async () => {
  db = database.db;
  await startMoto();
  client = new EC2Client({
    region: REGION,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: CREDENTIALS.access_key_id, secretAccessKey: CREDENTIALS.secret_access_key },
  });
  output = await mkdtemp(join(tmpdir(), 'buildfleet-provisioner-moto-'));
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await stopMoto();
  await rm(output, { recursive: true, force: true });
});

async function instanceImage(instanceId: string): Promise<string | undefined> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.ImageId;
}

const imageRows = () =>
  db.sequelize.query<{ name: string; image_id: string; instance_id: string }>(
    `select name, image_id, worker_pool_data ->> 'instance-id' as instance_id from workers where instance_created_at is not null order by name`,
    { type: QueryTypes.SELECT },
  );

/** Stops the build instance of `buildPlan` once it runs, as its own power-off would. */
async function stopBuildInstance(buildPlan: ReturnType<typeof plan>): Promise<void> {
  const filter = [{ Name: `tag:${IMAGE_LABELS.plan}`, Values: [imageLabels(buildPlan)[IMAGE_LABELS.plan]!] }];
  for (let i = 0; i < 400; i++) {
    const out = await client.send(new DescribeInstancesCommand({ Filters: filter }));
    const instance = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
    if (instance?.State?.Name === 'running') {
      await client.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the build instance never ran');
}

it('builds an AMI into a pool, launches from it with the image recorded, and prune keeps it for the pool', async () => {
  await resetDatabase(db);
  const { Images = [] } = await client.send(new DescribeImagesCommand({}));
  const base = Images.find((i) => i.RootDeviceType === 'ebs' && i.Architecture === 'x86_64')!.ImageId!;
  await upsertProviderAccount(db, {
    name: 'aws-main',
    provider_type: 'aws',
    configuration: { region_name: REGION, ec2_endpoint_url: motoEndpoint() },
    credentials: CREDENTIALS,
  });
  await addPool(db, {
    name: 'aws-spot',
    providerAccount: 'aws-main',
    specifications: {
      launch_templates: [{ ImageId: base, InstanceType: 't3.micro' }],
      instance_market_type: 'on-demand',
      debusine_install_source: 'pre-installed',
    },
  });
  const options = () => tickOptions(new InMemoryDummyCloud());

  await addRequest(db);
  const first = await tick(db, options());
  expect(first.launched).toHaveLength(1);
  const [old] = await imageRows();
  expect(old).toMatchObject({ name: 'aws-spot-001', image_id: base });
  expect(await instanceImage(old!.instance_id)).toBe(base);

  const buildPlan = plan({ target: 'aws', api_url: 'https://debusine-moto.example.net/api' });
  const [built] = await Promise.all([
    buildOnAws(buildPlan, {
      region: REGION,
      endpoint: motoEndpoint(),
      credentials: CREDENTIALS,
      baseImageId: base,
      instanceType: 't3.micro',
      pollIntervalMs: 20,
      outputDir: output,
    }),
    stopBuildInstance(buildPlan),
  ]);
  const [moved] = await movePoolsToImage(db, ['aws-spot'], built.imageId, { build: built.image.name, providerType: 'aws' });
  expect(moved!.pool.image).toBe(built.imageId);
  expect(moved!.decision?.message).toBe(
    `pool aws-spot moves from image ${base} to ${built.imageId}, built by image build (${built.image.name}); 1 running instance will be replaced, idle ones first`,
  );

  // The old instance has done its work and is idle: the rollout launches its replacement from the new AMI.
  await connectWorker(db, 'aws-spot-001');
  await db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now()`);
  const second = await tick(db, options());
  expect(second.decisions.map((d) => `${d.kind} ${d.reason}`)).toContain('launch ImageOutdated');
  const replacement = (await imageRows()).find((r) => r.name !== 'aws-spot-001')!;
  expect(replacement.image_id).toBe(built.imageId);
  expect(await instanceImage(replacement.instance_id)).toBe(built.imageId);

  const pruned = await pruneImages(
    { target: 'aws', region: REGION, endpoint: motoEndpoint(), credentials: CREDENTIALS },
    { keep: 0, dryRun: true, inUse: await listImagesInUse(db) },
  );
  expect(pruned.deleted).toEqual([]);
  expect(pruned.kept.map((i) => [i.id, i.keptBecause])).toEqual([[built.imageId, ['in use by pool aws-spot', 'running on 1 instance']]]);
}, 120_000);
