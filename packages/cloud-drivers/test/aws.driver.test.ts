import { CreateLaunchTemplateCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { type InstanceSpec } from '../src';
import {
  awsSpecification,
  CREDENTIALS,
  describeInstance,
  installationId,
  launchTemplateNames,
  motoClient,
  motoDriver,
  someImageId,
  tagsOf,
} from './moto';

const USER_DATA = '#cloud-config\nwrite_files:\n  - path: /etc/debusine/worker/activation-token\n    content: activation-token-0123456789abcdef\n';

function spec(workerName: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return { workerName, poolName: 'ec2-amd64', userData: USER_DATA, labels: { purpose: 'ci' }, ...overrides };
}

describe('AwsDriver against moto', () => {
  let client: EC2Client;
  let imageId: string;

  beforeAll(async () => {
    client = motoClient();
    imageId = await someImageId(client);
  });

  it('launches through CreateFleet and tags the instance with the ownership tags, the template tags and Name', async () => {
    const installation = installationId();
    const driver = motoDriver({ installationId: installation, specification: awsSpecification(imageId) });

    const result = await driver.launch([spec('ec2-worker-001')]);

    expect(result.failed).toEqual([]);
    expect(result.launched).toEqual([
      { workerName: 'ec2-worker-001', instanceId: expect.stringMatching(/^i-/), data: { 'instance-id': result.launched[0]!.instanceId } },
    ]);
    const instance = await describeInstance(client, result.launched[0]!.instanceId);
    expect(tagsOf(instance)).toEqual({
      'managed-by': 'buildfleet',
      'buildfleet-installation': installation,
      'buildfleet-pool': 'ec2-amd64',
      'buildfleet-worker': 'ec2-worker-001',
      Name: 'ec2-worker-001',
      team: 'debian',
      purpose: 'ci',
    });
    expect(instance.ImageId).toBe(imageId);
    expect(instance.InstanceType).toBe('t3.micro');
  });

  it('launches a fresh instance for a worker whose previous instance was terminated', async () => {
    const driver = motoDriver({ installationId: installationId(), specification: awsSpecification(imageId) });
    const [first] = (await driver.launch([spec('ec2-worker-021')])).launched;
    await driver.terminate(first!.instanceId);

    const [second] = (await driver.launch([spec('ec2-worker-021')])).launched;

    expect(second!.instanceId).not.toBe(first!.instanceId);
    expect(second!.data.adopted).toBeUndefined();
  });

  it('deletes the launch templates it created, one per pool launch template', async () => {
    const installation = installationId();
    const specification = awsSpecification(imageId, [{}, { InstanceType: 't3.small' }]);
    const driver = motoDriver({ installationId: installation, specification });

    const result = await driver.launch([spec('ec2-worker-030')]);

    expect(result.launched).toHaveLength(1);
    expect(await launchTemplateNames(client, `buildfleet-${installation}-`)).toEqual([]);
  });

  it('replaces a launch template left over by a crash instead of failing on its name', async () => {
    const installation = installationId();
    const driver = motoDriver({ installationId: installation, specification: awsSpecification(imageId) });
    await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `buildfleet-${installation}-ec2-worker-031-0`,
        LaunchTemplateData: { ImageId: imageId },
      }),
    );

    const result = await driver.launch([spec('ec2-worker-031')]);

    expect(result.failed).toEqual([]);
    expect(await launchTemplateNames(client, `buildfleet-${installation}-`)).toEqual([]);
  });

  it('reports a bad ImageId as an invalid spec, without credentials or user data, and cleans up', async () => {
    const installation = installationId();
    const driver = motoDriver({ installationId: installation, specification: awsSpecification('ami-00000000deadbeef0') });

    const result = await driver.launch([spec('ec2-worker-040')]);

    expect(result.launched).toEqual([]);
    expect(result.failed).toEqual([{ workerName: 'ec2-worker-040', error: expect.objectContaining({ kind: 'invalid', retryable: false }) }]);
    const { message } = result.failed[0]!.error;
    expect(message).toMatch(/ami-00000000deadbeef0/);
    for (const secret of [CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key, 'activation-token-0123456789abcdef']) {
      expect(message).not.toContain(secret);
    }
    expect(await launchTemplateNames(client, `buildfleet-${installation}-`)).toEqual([]);
    expect(await driver.list()).toEqual([]);
  });

  it('launches with root_device_size and swap_size, looking up the AMI root device', async () => {
    // moto ignores a template's block devices, so the mapping itself is checked in aws.launchTemplate.test.ts.
    const driver = motoDriver({ installationId: installationId(), specification: awsSpecification(imageId, [{ root_device_size: 30, swap_size: 4 }]) });

    const result = await driver.launch([spec('ec2-worker-050'), spec('ec2-worker-051')]);

    expect(result.failed).toEqual([]);
    expect(result.launched).toHaveLength(2);
  });
});
