import { type RequestLaunchTemplateData, type Tag } from '@aws-sdk/client-ec2';
import { type AwsLaunchTemplate } from '@buildfleet/models';
import { Document, isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { type InstanceSpec } from '../driver';
import { ProviderError } from '../errors';
import { ownershipLabels } from '../ownership';

export const SWAP_DEVICE = '/dev/xvdb';

/** `buildfleet-<installation>-<worker>-<index>`, so leftovers of a crash are easy to find. */
export function launchTemplateName(installationId: string, workerName: string, index: number): string {
  return `buildfleet-${installationId}-${workerName}-${index}`;
}

/** Template tags, then the spec's labels, then the ownership tags and `Name`, later ones winning. */
export function instanceTags(installationId: string, template: AwsLaunchTemplate, spec: InstanceSpec): Tag[] {
  const labels = {
    ...ownershipLabels(installationId, { ...spec, labels: { ...template.tags, ...spec.labels } }),
    Name: spec.workerName,
  };
  return Object.entries(labels).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The launch template data for one pool launch template and one worker, with
 * IMDSv2 required and a hop limit of 1 so that containers on the instance cannot reach the
 * instance's credentials, and with the ownership tags on the instance and its volumes.
 */
export function launchTemplateData(
  installationId: string,
  template: AwsLaunchTemplate,
  spec: InstanceSpec,
  rootDeviceName: string | undefined,
): RequestLaunchTemplateData {
  const tags = instanceTags(installationId, template, spec);
  const ebs = (size: number) => ({ VolumeSize: size, DeleteOnTermination: true, VolumeType: 'gp3' as const });
  const blockDevices = [
    ...(template.root_device_size !== undefined && rootDeviceName
      ? [{ DeviceName: rootDeviceName, Ebs: ebs(template.root_device_size) }]
      : []),
    ...(template.swap_size !== undefined ? [{ DeviceName: SWAP_DEVICE, Ebs: ebs(template.swap_size) }] : []),
  ];
  const userData = template.swap_size !== undefined ? withSwap(spec.userData) : spec.userData;
  return {
    ImageId: template.ImageId,
    EbsOptimized: template.EbsOptimized,
    UserData: Buffer.from(userData, 'utf8').toString('base64'),
    ...(template.InstanceRequirements
      ? { InstanceRequirements: template.InstanceRequirements }
      : { InstanceType: template.InstanceType as RequestLaunchTemplateData['InstanceType'] }),
    ...(template.KeyName !== undefined ? { KeyName: template.KeyName } : {}),
    ...(template.NetworkInterfaces ? { NetworkInterfaces: template.NetworkInterfaces } : {}),
    ...(blockDevices.length ? { BlockDeviceMappings: blockDevices } : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
    MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
  };
}

/**
 * Adds the swap volume to cloud-config user data: the alias `swap` for
 * /dev/xvdb, a swap filesystem on it and its mount, keeping everything the text already has.
 */
export function withSwap(userData: string): string {
  if (!/^#cloud-config\s*\n/.test(userData)) {
    throw new ProviderError('invalid', 'swap_size needs #cloud-config user data, and the user data is something else');
  }
  const parsed = parseDocument(userData);
  if (parsed.errors.length || !(isMap(parsed.contents) || parsed.contents === null)) {
    throw new ProviderError('invalid', 'swap_size needs #cloud-config user data that is a YAML mapping');
  }
  const doc: Document = parsed.contents === null ? new Document({}) : parsed;
  const section = <T extends YAMLMap | YAMLSeq>(key: string, make: () => T, is: (node: unknown) => boolean): T => {
    const existing = doc.get(key, true);
    if (existing === undefined || existing === null) {
      const created = make();
      doc.set(key, created);
      return created;
    }
    if (!is(existing)) throw new ProviderError('invalid', `swap_size: the user data's "${key}" has an unexpected shape`);
    return existing as T;
  };
  section('device_aliases', () => new YAMLMap(), isMap).set('swap', SWAP_DEVICE);
  section('fs_setup', () => new YAMLSeq(), isSeq).add(doc.createNode({ device: 'swap', filesystem: 'swap' }));
  section('mounts', () => new YAMLSeq(), isSeq).add(
    doc.createNode(['swap', 'none', 'swap', 'sw,nofail,x-systemd.requires=cloud-init.service']),
  );
  const text = doc.toString({ lineWidth: 0 });
  return text.startsWith('#cloud-config') ? text : `#cloud-config\n${text}`;
}
