import type {
  CreateFleetCommandOutput,
  EC2Client,
  Filter,
  Instance,
  InstanceStateName,
  RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { type AwsCredentials, type AwsSpecification } from '@buildfleet/models';
import {
  type CloudDriver,
  type InstanceSpec,
  type InstanceState,
  type LaunchOptions,
  type LaunchResult,
  type ProviderInstance,
} from '../driver';
import { ProviderError } from '../errors';
import { makeRedactor, userDataSecrets } from '../redaction';
import { runLaunch } from '../launch';
import { checkInstallationId, instanceFromLabels, MANAGED_BY, OWNERSHIP_LABELS } from '../ownership';
import { type RetryOptions, withRetry } from '../retry';
import { awsError, classifyAwsError } from './errors';
import { launchTemplateData, launchTemplateName } from './launchTemplate';
import { ec2Sdk, type Ec2Sdk } from './sdk';

export interface DriverLogger {
  warn(message: string): void;
}

export interface AwsDriverOptions {
  /** The account's `configuration.region_name`. */
  region: string;
  /** The account's `configuration.ec2_endpoint_url`. (Default: the region's public endpoint) */
  endpoint?: string;
  credentials: AwsCredentials;
  installationId: string;
  specification: AwsSpecification;
  /** Workers launched at the same time; CreateFleet is throttled at a few calls per second. (Default: 4) */
  parallelism?: number;
  /** (Default: DEFAULT_RETRY) */
  retry?: RetryOptions;
  /** Where failures that do not fail the call go, such as a template that could not be deleted. (Default: process warnings) */
  logger?: DriverLogger;
}

const STATES: Record<InstanceStateName, InstanceState> = {
  pending: 'creating',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  'shutting-down': 'deleting',
  terminated: 'gone',
};

/** Filter values per request; EC2 accepts up to 200. */
const FILTER_CHUNK = 200;

/** EC2 through CreateFleet with temporary launch templates (as Debusine launches, without its defects: docs/domain.md). */
export class AwsDriver implements CloudDriver {
  readonly providerType = 'aws';
  private readonly ec2: Ec2Sdk;
  private readonly client: EC2Client;
  private readonly rootDevices = new Map<string, string>();
  private readonly redact: (text: string) => string;
  private readonly logger: DriverLogger;

  constructor(private readonly options: AwsDriverOptions) {
    checkInstallationId(options.installationId);
    if (!options.region) {
      throw new ProviderError('invalid', 'aws: configuration.region_name is not set on the provider account; set it');
    }
    this.ec2 = ec2Sdk();
    this.client = new this.ec2.EC2Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      credentials: {
        accessKeyId: options.credentials.access_key_id,
        secretAccessKey: options.credentials.secret_access_key,
      },
      // Retries happen in withRetry, the same way for every provider.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
    });
    this.redact = makeRedactor([options.credentials.access_key_id, options.credentials.secret_access_key]);
    this.logger = options.logger ?? { warn: (message) => process.emitWarning(message) };
  }

  launch(specs: InstanceSpec[], opts: LaunchOptions = {}): Promise<LaunchResult> {
    const redact = makeRedactor([
      this.options.credentials.access_key_id,
      this.options.credentials.secret_access_key,
      ...specs.flatMap((s) => userDataSecrets(s.userData)),
    ]);
    return runLaunch(specs, opts, {
      parallelism: this.options.parallelism ?? 4,
      retry: this.options.retry ?? {},
      findExisting: (workerNames) => this.describe(this.workerFilters(workerNames)),
      create: (spec) => this.launchOne(spec, redact),
      classify: (error) => {
        const classified = classifyAwsError(error, 'launch', redact);
        // A missing AMI, subnet or key pair is a fault of the pool's specification.
        return classified.kind === 'not_found'
          ? new ProviderError('invalid', classified.message, { code: classified.code })
          : classified;
      },
    });
  }

  async terminate(instanceId: string): Promise<void> {
    await withRetry(async () => {
      try {
        await this.client.send(new this.ec2.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      } catch (error) {
        const classified = classifyAwsError(error, 'TerminateInstances', this.redact);
        if (classified.code === 'InvalidInstanceID.NotFound') return;
        throw classified;
      }
    }, this.options.retry);
  }

  list(): Promise<ProviderInstance[]> {
    return withRetry(() => this.describe([]), this.options.retry);
  }

  private ownershipFilters(): Filter[] {
    return [
      { Name: `tag:${OWNERSHIP_LABELS.managedBy}`, Values: [MANAGED_BY] },
      { Name: `tag:${OWNERSHIP_LABELS.installation}`, Values: [this.options.installationId] },
    ];
  }

  private workerFilters(workerNames: string[]): Filter[][] {
    const chunks: Filter[][] = [];
    for (let i = 0; i < workerNames.length; i += FILTER_CHUNK) {
      chunks.push([{ Name: `tag:${OWNERSHIP_LABELS.worker}`, Values: workerNames.slice(i, i + FILTER_CHUNK) }]);
    }
    return chunks;
  }

  /** Owned instances matching each group of extra filters (all owned instances for `[]`). */
  private async describe(filterGroups: Filter[][]): Promise<ProviderInstance[]> {
    const instances: ProviderInstance[] = [];
    for (const extra of filterGroups.length ? filterGroups : [[]]) {
      let NextToken: string | undefined;
      do {
        let page;
        try {
          page = await this.client.send(
            new this.ec2.DescribeInstancesCommand({ Filters: [...this.ownershipFilters(), ...extra], NextToken, MaxResults: 1000 }),
          );
        } catch (error) {
          throw classifyAwsError(error, 'DescribeInstances', this.redact);
        }
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) instances.push(toProviderInstance(instance));
        }
        NextToken = page.NextToken;
      } while (NextToken);
    }
    return instances;
  }

  private async launchOne(spec: InstanceSpec, redact: (text: string) => string) {
    const { specification, installationId } = this.options;
    const templateIds: string[] = [];
    try {
      for (const [index, template] of specification.launch_templates.entries()) {
        const rootDevice =
          template.root_device_size !== undefined ? await this.rootDeviceName(template.ImageId, redact) : undefined;
        const data = launchTemplateData(installationId, template, spec, rootDevice);
        templateIds.push(await this.createLaunchTemplate(launchTemplateName(installationId, spec.workerName, index), data, redact));
      }
      const spot = specification.instance_market_type === 'spot';
      let fleet: CreateFleetCommandOutput;
      try {
        fleet = await this.client.send(
          new this.ec2.CreateFleetCommand({
            Type: 'instant',
            LaunchTemplateConfigs: templateIds.map((LaunchTemplateId) => ({
              LaunchTemplateSpecification: { LaunchTemplateId, Version: '$Latest' },
            })),
            TargetCapacitySpecification: {
              TotalTargetCapacity: 1,
              DefaultTargetCapacityType: spot ? 'spot' : 'on-demand',
            },
            ...(spot && specification.max_spot_price_per_hour !== undefined
              ? { SpotOptions: { MaxTotalPrice: String(specification.max_spot_price_per_hour) } }
              : {}),
          }),
        );
      } catch (error) {
        throw classifyAwsError(error, 'CreateFleet', redact);
      }
      const instanceIds = (fleet.Instances ?? []).flatMap((i) => i.InstanceIds ?? []);
      const [instanceId, ...extra] = instanceIds;
      if (!instanceId) throw fleetError(fleet, redact);
      if (extra.length) {
        this.logger.warn(`aws: CreateFleet for ${spec.workerName} started ${instanceIds.length} instances for a target of 1: ${instanceIds.join(', ')}`);
      }
      return { instanceId, data: { 'instance-id': instanceId } };
    } finally {
      await Promise.all(templateIds.map((id) => this.deleteLaunchTemplate(id)));
    }
  }

  private async createLaunchTemplate(
    name: string,
    data: RequestLaunchTemplateData,
    redact: (text: string) => string,
  ): Promise<string> {
    const create = async () => {
      const created = await this.client.send(
        new this.ec2.CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: data }),
      );
      const id = created.LaunchTemplate?.LaunchTemplateId;
      if (!id) throw new ProviderError('transient', `aws CreateLaunchTemplate: no id returned for ${name}`);
      return id;
    };
    try {
      return await create();
    } catch (error) {
      const classified = classifyAwsError(error, 'CreateLaunchTemplate', redact);
      if (classified.code !== 'InvalidLaunchTemplateName.AlreadyExistsException') throw classified;
    }
    // A leftover of a crash between create and delete: it is ours by its name.
    try {
      await this.client.send(new this.ec2.DeleteLaunchTemplateCommand({ LaunchTemplateName: name }));
      return await create();
    } catch (error) {
      throw classifyAwsError(error, 'CreateLaunchTemplate', redact);
    }
  }

  private async deleteLaunchTemplate(id: string): Promise<void> {
    try {
      await this.client.send(new this.ec2.DeleteLaunchTemplateCommand({ LaunchTemplateId: id }));
    } catch (error) {
      const classified = classifyAwsError(error, 'DeleteLaunchTemplate', this.redact);
      this.logger.warn(`aws: could not delete launch template ${id}; delete it by hand: ${classified.message}`);
    }
  }

  /** The AMI's root device name, looked up once per image. */
  private async rootDeviceName(imageId: string, redact: (text: string) => string): Promise<string> {
    const cached = this.rootDevices.get(imageId);
    if (cached) return cached;
    let images;
    try {
      images = (await this.client.send(new this.ec2.DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    } catch (error) {
      throw classifyAwsError(error, 'DescribeImages', redact);
    }
    const [image] = images;
    if (images.length !== 1 || !image?.RootDeviceName || image.RootDeviceType !== 'ebs') {
      throw new ProviderError(
        'invalid',
        `aws: root_device_size needs an EBS-backed image, but ImageId ${imageId} ` +
          (images.length !== 1 ? `matched ${images.length} images` : `has root device type ${image?.RootDeviceType}`),
      );
    }
    this.rootDevices.set(imageId, image.RootDeviceName);
    return image.RootDeviceName;
  }
}

function toProviderInstance(instance: Instance): ProviderInstance {
  const labels: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) labels[tag.Key] = tag.Value ?? '';
  const state = STATES[instance.State?.Name ?? 'pending'] ?? 'creating';
  return instanceFromLabels(instance.InstanceId ?? '', state, labels, instance.LaunchTime);
}

/**
 * A 200 response without an instance: the `Errors` tell why, one per override that failed.
 * The most telling kind wins (a bad template before a lack of capacity), and every distinct
 * error goes into the message.
 */
function fleetError(fleet: CreateFleetCommandOutput, redact: (text: string) => string): ProviderError {
  const errors = fleet.Errors ?? [];
  if (!errors.length) return new ProviderError('transient', 'aws CreateFleet: no instance launched and no error given');
  const order = ['auth', 'invalid', 'not_found', 'quota', 'capacity', 'rate_limited', 'transient'];
  const classified = errors.map((e) => awsError('CreateFleet', e.ErrorCode ?? 'Unknown', e.ErrorMessage ?? '', redact));
  classified.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  const first = classified[0]!;
  const details = [...new Set(classified.map((e) => e.message.replace(/^aws CreateFleet: /, '')))].join('; ');
  return new ProviderError(first.kind, `aws CreateFleet: no instance launched: ${details}`, { code: first.code });
}
