import { randomBytes } from 'node:crypto';
import { motoEndpoint } from '@buildfleet/moto';
import {
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Image,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type AwsAccess, type BuildPlan, IMAGE_LABELS, imageLabels } from '../src';
import { NEWEST_TRIXIE_AMD64 } from './debianAmis';

export const CREDENTIALS = { access_key_id: 'AKIAMOTOIMAGEKEY0001', secret_access_key: 'moto-image-secret-do-not-leak-0001' };

/** Each test file uses its own region: moto keeps one account per region, so pruning in one file cannot touch another's images. */
export function motoAccess(region: string): AwsAccess {
  return { region, endpoint: motoEndpoint(), credentials: CREDENTIALS, retry: { attempts: 1 } };
}

export function motoClient(region: string): EC2Client {
  return new EC2Client({
    region,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: CREDENTIALS.access_key_id, secretAccessKey: CREDENTIALS.secret_access_key },
  });
}

/** A unique API URL makes a unique plan (and plan label), so concurrent tests find only their own instance. */
export function uniqueApiUrl(): string {
  return `https://debusine-${randomBytes(4).toString('hex')}.example.net/api`;
}

/** Build instances of `buildPlan` (by its plan label), in any state. */
export async function buildInstances(client: EC2Client, buildPlan: BuildPlan): Promise<Instance[]> {
  const out = await client.send(
    new DescribeInstancesCommand({ Filters: [{ Name: `tag:${IMAGE_LABELS.plan}`, Values: [imageLabels(buildPlan)[IMAGE_LABELS.plan]!] }] }),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

/** Waits for the plan's build instance to run, then does to it what `action` says: what the real instance or a user would. */
export async function whenBuildInstanceRuns(client: EC2Client, buildPlan: BuildPlan, action: 'stop' | 'terminate' | 'nothing'): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const [instance] = await buildInstances(client, buildPlan);
    if (instance?.InstanceId && instance.State?.Name === 'running') {
      if (action === 'stop') await client.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId] }));
      if (action === 'terminate') await client.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId] }));
      return instance.InstanceId;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the build instance never ran');
}

export async function imagesOfPlan(client: EC2Client, buildPlan: BuildPlan): Promise<Image[]> {
  const out = await client.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${IMAGE_LABELS.plan}`, Values: [imageLabels(buildPlan)[IMAGE_LABELS.plan]!] }] }),
  );
  return out.Images ?? [];
}

/** An AMI tagged as `buildPlan`'s image, made the quick way (no runner): for list and prune tests. */
export async function makeTaggedAmi(client: EC2Client, buildPlan: BuildPlan, name: string): Promise<string> {
  const run = await client.send(new RunInstancesCommand({ ImageId: NEWEST_TRIXIE_AMD64, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  const instanceId = run.Instances![0]!.InstanceId!;
  const image = await client.send(
    new CreateImageCommand({
      InstanceId: instanceId,
      Name: name,
      TagSpecifications: [{ ResourceType: 'image', Tags: Object.entries(imageLabels(buildPlan)).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  return image.ImageId!;
}

export function tagsOf(resource: { Tags?: { Key?: string; Value?: string }[] }): Record<string, string> {
  return Object.fromEntries((resource.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

