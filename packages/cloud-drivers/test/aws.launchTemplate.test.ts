import { awsLaunchTemplateSchema } from '@buildfleet/models';
import { parse } from 'yaml';
import { launchTemplateData, launchTemplateName, withSwap } from '../src/aws/launchTemplate';

const spec = {
  workerName: 'ec2-worker-001',
  poolName: 'ec2-amd64',
  userData: '#cloud-config\npackages: [sbuild]\n',
  labels: { purpose: 'ci', 'managed-by': 'someone-else' },
};
const template = (fields: Record<string, unknown>) =>
  awsLaunchTemplateSchema.parse({ ImageId: 'ami-0123456789abcdef0', InstanceType: 'c7a.large', ...fields });

describe('launchTemplateData', () => {
  it('tags instance and volumes alike, with ownership tags that a spec label cannot override', () => {
    const data = launchTemplateData('prod', template({ tags: { team: 'debian', Name: 'other' } }), spec, undefined);

    const expected = [
      { Key: 'team', Value: 'debian' },
      { Key: 'Name', Value: 'ec2-worker-001' },
      { Key: 'purpose', Value: 'ci' },
      { Key: 'managed-by', Value: 'buildfleet' },
      { Key: 'buildfleet-installation', Value: 'prod' },
      { Key: 'buildfleet-pool', Value: 'ec2-amd64' },
      { Key: 'buildfleet-worker', Value: 'ec2-worker-001' },
    ];
    expect(data.TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: expect.arrayContaining(expected) },
      { ResourceType: 'volume', Tags: expect.arrayContaining(expected) },
    ]);
    expect(data.TagSpecifications?.[0]?.Tags).toHaveLength(expected.length);
  });

  it('requires IMDSv2 with a hop limit of 1 and sends the user data base64-encoded', () => {
    const data = launchTemplateData('prod', template({}), spec, undefined);

    expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(Buffer.from(data.UserData!, 'base64').toString()).toBe(spec.userData);
    expect(data.InstanceType).toBe('c7a.large');
    expect(data.BlockDeviceMappings).toBeUndefined();
  });

  it('sizes the root volume on the AMI root device and adds a gp3 swap volume on /dev/xvdb', () => {
    const data = launchTemplateData('prod', template({ root_device_size: 40, swap_size: 8 }), spec, '/dev/xvda');

    expect(data.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 40, DeleteOnTermination: true, VolumeType: 'gp3' } },
      { DeviceName: '/dev/xvdb', Ebs: { VolumeSize: 8, DeleteOnTermination: true, VolumeType: 'gp3' } },
    ]);
    const userData = Buffer.from(data.UserData!, 'base64').toString();
    expect(parse(userData)).toMatchObject({ packages: ['sbuild'], device_aliases: { swap: '/dev/xvdb' } });
  });

  it('sends InstanceRequirements instead of InstanceType when the template has them', () => {
    const data = launchTemplateData(
      'prod',
      awsLaunchTemplateSchema.parse({
        ImageId: 'ami-0123456789abcdef0',
        InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 } },
        KeyName: 'ops',
        NetworkInterfaces: [{ SubnetId: 'subnet-1', AssociatePublicIpAddress: true }],
      }),
      spec,
      undefined,
    );

    expect(data.InstanceType).toBeUndefined();
    expect(data.InstanceRequirements).toEqual({ VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 }, BurstablePerformance: 'excluded' });
    expect(data.KeyName).toBe('ops');
    expect(data.NetworkInterfaces).toEqual([{ SubnetId: 'subnet-1', AssociatePublicIpAddress: true, DeleteOnTermination: true, DeviceIndex: 0 }]);
  });

  it('names templates after installation, worker and index', () => {
    expect(launchTemplateName('prod', 'ec2-worker-001', 2)).toBe('buildfleet-prod-ec2-worker-001-2');
  });
});

describe('withSwap', () => {
  it('adds the swap alias, filesystem and mount and keeps the existing lists and comments', () => {
    const userData = '#cloud-config\n# keep me\nmounts:\n  - [tmpfs, /tmp, tmpfs, defaults]\nruncmd: [true]\n';

    const out = withSwap(userData);

    expect(out.startsWith('#cloud-config\n# keep me\n')).toBe(true);
    expect(parse(out)).toEqual({
      mounts: [
        ['tmpfs', '/tmp', 'tmpfs', 'defaults'],
        ['swap', 'none', 'swap', 'sw,nofail,x-systemd.requires=cloud-init.service'],
      ],
      runcmd: [true],
      device_aliases: { swap: '/dev/xvdb' },
      fs_setup: [{ device: 'swap', filesystem: 'swap' }],
    });
  });

  it('works on an empty cloud-config', () => {
    expect(parse(withSwap('#cloud-config\n'))).toEqual({
      device_aliases: { swap: '/dev/xvdb' },
      fs_setup: [{ device: 'swap', filesystem: 'swap' }],
      mounts: [['swap', 'none', 'swap', 'sw,nofail,x-systemd.requires=cloud-init.service']],
    });
  });

  it('refuses user data that is not cloud-config, as an invalid spec', () => {
    expect(() => withSwap('#!/bin/sh\necho hi\n')).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});
