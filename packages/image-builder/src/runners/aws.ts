import type { EC2Client, Filter, Image, _InstanceType, Tag } from '@aws-sdk/client-ec2';
import {
  classifyAwsError,
  type Ec2Sdk,
  ec2Sdk,
  makeRedactor,
  MANAGED_BY,
  OWNERSHIP_LABELS,
  ProviderError,
  type RetryOptions,
  withRetry,
} from '@buildfleet/cloud-drivers';
import { type AwsCredentials } from '@buildfleet/models';
import { recordImage } from '../manifest';
import { planDigest } from '../plan';
import { DEBIAN_AMI_OWNER, IMAGE_KIND, IMAGE_LABELS, imageBaseName } from '../publish';
import { renderBuildUserData } from '../render/script';
import type { BuildPlan } from '../types';
import { nameStamp, runCleanup, type RunnerOptions, waitFor, withCleanupFailures } from './common';
import { imageLabels, type PublishedImage } from './labels';
import { type BuildResult } from './result';

/** Where and as whom to call EC2: a provider account's region, endpoint and credentials. */
export interface AwsAccess {
  region: string;
  /** (Default: the region's public endpoint) */
  endpoint?: string;
  credentials: AwsCredentials;
  /** (Default: DEFAULT_RETRY of @buildfleet/cloud-drivers) */
  retry?: RetryOptions;
}

export interface AwsBuildOptions extends RunnerOptions, AwsAccess {
  /** (Default: "t3.medium" for amd64, "t4g.medium" for arm64) */
  instanceType?: string;
  /** A subnet with egress to the Debian mirrors. (Default: the default VPC's subnet) */
  subnetId?: string;
  /** No inbound rules are needed. (Default: the VPC's default group) */
  securityGroupIds?: string[];
  /** Start from this AMI instead of the newest official Debian one. (Default: looked up) */
  baseImageId?: string;
  /** (Default: 15000) */
  pollIntervalMs?: number;
  /** How long provisioning may take until the instance has stopped itself. (Default: 45 minutes) */
  instanceStopTimeoutMs?: number;
  /** How long CreateImage may take until the AMI is available. (Default: 45 minutes) */
  imageTimeoutMs?: number;
}

const CONSOLE_TAIL_LINES = 40;

export function ec2Client(access: AwsAccess): EC2Client {
  return new (ec2Sdk().EC2Client)({
    region: access.region,
    ...(access.endpoint ? { endpoint: access.endpoint } : {}),
    credentials: { accessKeyId: access.credentials.access_key_id, secretAccessKey: access.credentials.secret_access_key },
    // Retries happen in withRetry, as in the drivers.
    maxAttempts: 1,
  });
}

const toTags = (labels: Record<string, string>): Tag[] => Object.entries(labels).map(([Key, Value]) => ({ Key, Value }));
const fromTags = (tags: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));

/** One EC2 call with the drivers' retry policy and error classification; secrets are redacted. */
function caller(access: AwsAccess) {
  const client = ec2Client(access);
  // Uncapped: it also cleans the console tail, longer than a provider message (which classifyAwsError caps).
  const redact = makeRedactor([access.credentials.access_key_id, access.credentials.secret_access_key], { maxLength: Number.POSITIVE_INFINITY });
  const ec2 = ec2Sdk();
  const call = <T>(operation: string, fn: (client: EC2Client, sdk: Ec2Sdk) => Promise<T>): Promise<T> =>
    withRetry(async () => {
      try {
        return await fn(client, ec2);
      } catch (error) {
        throw classifyAwsError(error, operation, redact);
      }
    }, access.retry);
  return { client, call, redact };
}

/**
 * Builds the image on an EC2 instance (build-on-instance): the newest
 * official Debian AMI boots with the build user data, provisions itself and powers off; the
 * stopped instance becomes an AMI tagged with the ownership labels; the instance is terminated.
 * On failure or abort the instance (and an unfinished AMI with its snapshots) is deleted, and a
 * failed wait reports the tail of the instance's console output.
 */
export async function buildOnAws(buildPlan: BuildPlan, options: AwsBuildOptions): Promise<BuildResult> {
  if (buildPlan.target !== 'aws') throw new Error(`buildOnAws needs a plan for target aws, not ${buildPlan.target}`);
  const now = options.now ?? (() => new Date());
  const report = (step: string, message: string) => options.onProgress?.({ step, message });
  const { call, redact } = caller(options);
  const { signal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 15_000;
  const started = now();
  const name = `${imageBaseName(buildPlan.options)}-${nameStamp(started)}`;
  const labels = imageLabels(buildPlan);
  const digest = planDigest(buildPlan);
  const cleanup: { what: string; run: () => Promise<void> }[] = [];
  let instanceId: string | undefined;
  let waitingForStop = false;

  try {
    signal?.throwIfAborted();
    const baseImageId = options.baseImageId ?? (await newestDebianAmi(call, buildPlan));
    report('DescribeImages', `base image ${baseImageId}`);

    const run = await call('RunInstances', (c, ec2) =>
      c.send(
        new ec2.RunInstancesCommand({
          ImageId: baseImageId,
          InstanceType: (options.instanceType ?? (buildPlan.architecture === 'amd64' ? 't3.medium' : 't4g.medium')) as _InstanceType,
          MinCount: 1,
          MaxCount: 1,
          UserData: Buffer.from(renderBuildUserData(buildPlan)).toString('base64'),
          InstanceInitiatedShutdownBehavior: 'stop',
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
          ClientToken: `${digest.slice(0, 32)}-${started.getTime()}`,
          ...(options.subnetId ? { SubnetId: options.subnetId } : {}),
          ...(options.securityGroupIds?.length ? { SecurityGroupIds: options.securityGroupIds } : {}),
          TagSpecifications: ['instance', 'volume'].map((ResourceType) => ({
            ResourceType: ResourceType as 'instance' | 'volume',
            Tags: toTags({ ...labels, Name: `${name}-build` }),
          })),
        }),
      ),
    );
    instanceId = run.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new ProviderError('transient', 'aws RunInstances: no instance id returned', { retryable: false });
    const builder = instanceId;
    cleanup.push({ what: `terminate build instance ${builder}`, run: () => terminateInstance(call, builder) });
    report('RunInstances', `build instance ${builder} is provisioning`);

    waitingForStop = true;
    let lastState = '';
    await waitFor(
      async () => {
        const out = await call('DescribeInstances', (c, ec2) => c.send(new ec2.DescribeInstancesCommand({ InstanceIds: [builder] })));
        const state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'unknown';
        if (state !== lastState) report('WaitInstanceStopped', `build instance ${builder} is ${state}`);
        lastState = state;
        if (state === 'stopped') return true;
        if (state === 'shutting-down' || state === 'terminated') {
          throw new Error(`build instance ${builder} is ${state} instead of stopped: was InstanceInitiatedShutdownBehavior changed, or the instance lost?`);
        }
        return undefined;
      },
      { what: `build instance ${builder} to stop itself`, intervalMs: pollIntervalMs, timeoutMs: options.instanceStopTimeoutMs ?? 45 * 60_000, signal },
    );
    waitingForStop = false;

    const created = await call('CreateImage', (c, ec2) =>
      c.send(
        new ec2.CreateImageCommand({
          InstanceId: builder,
          Name: name,
          Description: `debusine-worker image, buildfleet plan ${digest}`,
          NoReboot: true,
          TagSpecifications: [{ ResourceType: 'image', Tags: toTags({ ...labels, Name: name }) }],
        }),
      ),
    );
    const imageId = created.ImageId;
    if (!imageId) throw new ProviderError('transient', 'aws CreateImage: no image id returned', { retryable: false });
    cleanup.push({ what: `deregister unfinished image ${imageId} and its snapshots`, run: () => deleteAmi(call, imageId) });
    report('CreateImage', `image ${imageId} (${name}) is being created`);

    const image = await waitFor(
      async () => {
        const out = await call('DescribeImages', (c, ec2) => c.send(new ec2.DescribeImagesCommand({ ImageIds: [imageId] })));
        const found = out.Images?.[0];
        if (found?.State === 'available') return found;
        if (found?.State === 'failed' || found?.State === 'error' || found?.State === 'invalid') {
          throw new Error(`image ${imageId} is ${found.State}: ${found.StateReason?.Message ?? 'no reason given'}`);
        }
        return undefined;
      },
      { what: `image ${imageId} to become available`, intervalMs: pollIntervalMs, timeoutMs: options.imageTimeoutMs ?? 45 * 60_000, signal },
    );
    report('WaitImageAvailable', `image ${imageId} is available`);

    const snapshots = snapshotIds(image);
    await call('CreateTags', (c, ec2) => c.send(new ec2.CreateTagsCommand({ Resources: [imageId, ...snapshots], Tags: toTags({ ...labels, Name: name }) })));
    report('CreateTags', `tagged ${[imageId, ...snapshots].join(', ')}`);

    cleanup.length = 0;
    await terminateInstance(call, builder);
    report('TerminateInstances', `terminated build instance ${builder}`);

    const finished = now();
    const { manifest, path } = await recordImage(options.outputDir, buildPlan, {
      id: imageId,
      name,
      built_at: finished.toISOString(),
      build_seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      region: options.region,
      base_image: baseImageId,
    });
    report('manifest', `wrote ${path}`);
    return { target: 'aws', imageId, image: manifest.images.aws!, manifest, manifestPath: path };
  } catch (error) {
    if (waitingForStop && instanceId && !signal?.aborted) {
      const tail = await consoleTail(call, instanceId, redact);
      if (error instanceof Error && tail) error.message += `\nconsole output of ${instanceId} (last lines):\n${tail}`;
    }
    const failures = await runCleanup(cleanup, (what) => report('cleanup', what));
    throw withCleanupFailures(error, failures);
  }
}

type Call = ReturnType<typeof caller>['call'];

async function newestDebianAmi(call: Call, buildPlan: BuildPlan): Promise<string> {
  const step = buildPlan.publish.find((s) => s.step === 'DescribeImages');
  const filters = (step?.params.Filters ?? []) as Filter[];
  const out = await call('DescribeImages', (c, ec2) => c.send(new ec2.DescribeImagesCommand({ Owners: [DEBIAN_AMI_OWNER], Filters: filters })));
  const newest = (out.Images ?? [])
    .filter((i) => i.ImageId && i.State !== 'deregistered')
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
  if (!newest?.ImageId) {
    throw new ProviderError('not_found', `aws DescribeImages: no official Debian AMI (owner ${DEBIAN_AMI_OWNER}) matches ${JSON.stringify(filters)} in this region; pass baseImageId`);
  }
  return newest.ImageId;
}

async function terminateInstance(call: Call, instanceId: string): Promise<void> {
  try {
    await call('TerminateInstances', (c, ec2) => c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [instanceId] })));
  } catch (error) {
    if (error instanceof ProviderError && error.code === 'InvalidInstanceID.NotFound') return;
    throw error;
  }
}

function snapshotIds(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
}

/** Deregisters the AMI and deletes its EBS snapshots (which deregistering leaves behind). */
async function deleteAmi(call: Call, imageId: string): Promise<void> {
  const out = await call('DescribeImages', (c, ec2) => c.send(new ec2.DescribeImagesCommand({ ImageIds: [imageId] })));
  const image = out.Images?.[0];
  if (!image) return;
  await call('DeregisterImage', (c, ec2) => c.send(new ec2.DeregisterImageCommand({ ImageId: imageId })));
  for (const snapshotId of snapshotIds(image)) {
    await call('DeleteSnapshot', (c, ec2) => c.send(new ec2.DeleteSnapshotCommand({ SnapshotId: snapshotId })));
  }
}

async function consoleTail(call: Call, instanceId: string, redact: (text: string) => string): Promise<string> {
  try {
    const out = await call('GetConsoleOutput', (c, ec2) => c.send(new ec2.GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true })));
    const text = out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
    return redact(text.trimEnd().split('\n').slice(-CONSOLE_TAIL_LINES).join('\n'));
  } catch {
    return '';
  }
}

/** buildfleet's debusine-worker AMIs in the account's region, found by their tags. */
export async function listAwsImages(access: AwsAccess): Promise<PublishedImage[]> {
  const { call } = caller(access);
  const out = await call('DescribeImages', (c, ec2) =>
    c.send(
      new ec2.DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: `tag:${OWNERSHIP_LABELS.managedBy}`, Values: [MANAGED_BY] },
          { Name: `tag:${IMAGE_LABELS.image}`, Values: [IMAGE_KIND] },
        ],
      }),
    ),
  );
  return (out.Images ?? []).map((image) => ({
    id: image.ImageId ?? '',
    name: image.Name ?? '',
    createdAt: image.CreationDate ?? '',
    state: image.State ?? 'unknown',
    labels: fromTags(image.Tags),
  }));
}

export async function deleteAwsImage(access: AwsAccess, imageId: string): Promise<void> {
  const { call } = caller(access);
  await deleteAmi(call, imageId);
}
