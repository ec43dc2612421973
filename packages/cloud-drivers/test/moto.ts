import { randomBytes } from 'node:crypto';
import { motoEndpoint } from '@buildfleet/moto';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type AwsSpecification, awsSpecificationSchema } from '@buildfleet/models';
import { AwsDriver, type AwsDriverOptions } from '../src/aws/driver';

export const REGION = 'us-east-1';
export const CREDENTIALS = { access_key_id: 'AKIAMOTOTESTKEY00001', secret_access_key: 'moto-secret-key-do-not-leak-0001' };

/** A plain EC2 client on moto, to inspect and to make instances that are not ours. */
export function motoClient(): EC2Client {
  return new EC2Client({
    region: REGION,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: CREDENTIALS.access_key_id, secretAccessKey: CREDENTIALS.secret_access_key },
  });
}

/** A fresh installation id per test, since all test files share one moto server. */
export function installationId(): string {
  return `it-${randomBytes(4).toString('hex')}`;
}

export async function someImageId(client: EC2Client): Promise<string> {
  const images = (await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images ?? [];
  const image = images.find((i) => i.RootDeviceType === 'ebs' && i.ImageId);
  if (!image?.ImageId) throw new Error('moto knows no EBS-backed image');
  return image.ImageId;
}

/** A pool specification as the pool admin commands store it: parsed by the models schema. */
export function awsSpecification(imageId: string, templates: Record<string, unknown>[] = [{}]): AwsSpecification {
  return awsSpecificationSchema.parse({
    provider_type: 'aws',
    instance_market_type: 'on-demand',
    launch_templates: templates.map((t) => ({ ImageId: imageId, InstanceType: 't3.micro', tags: { team: 'debian' }, ...t })),
  });
}

export function motoDriver(options: Partial<AwsDriverOptions> & Pick<AwsDriverOptions, 'installationId' | 'specification'>) {
  return new AwsDriver({
    region: REGION,
    endpoint: motoEndpoint(),
    credentials: CREDENTIALS,
    retry: { attempts: 1 },
    ...options,
  });
}

export async function describeInstance(client: EC2Client, instanceId: string): Promise<Instance> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`moto does not know ${instanceId}`);
  return instance;
}

export function tagsOf(instance: Instance): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

export async function launchTemplateNames(client: EC2Client, prefix: string): Promise<string[]> {
  const out = await client.send(new DescribeLaunchTemplatesCommand({}));
  return (out.LaunchTemplates ?? []).map((t) => t.LaunchTemplateName ?? '').filter((n) => n.startsWith(prefix));
}

export async function runForeignInstance(client: EC2Client, imageId: string, tags: Record<string, string>): Promise<string> {
  const out = await client.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      ...(Object.keys(tags).length
        ? { TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }
        : {}),
    }),
  );
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('RunInstances returned no instance');
  return id;
}
