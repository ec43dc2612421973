import { MANAGED_BY, OWNERSHIP_LABELS } from '@buildfleet/cloud-drivers';
import type { BuildOptions } from './options';
import type { PublishStep } from './types';

/** Owner id of Debian's official AMIs. */
export const DEBIAN_AMI_OWNER = '136693071363';

const RELEASE_NUMBER = { trixie: '13', bookworm: '12' } as const;

export function imageBaseName(options: BuildOptions): string {
  return `buildfleet-debusine-worker-${options.release}-${options.architecture}`;
}

/** Label (Hetzner) and tag (EC2) keys that mark buildfleet's images and build instances. */
export const IMAGE_LABELS = {
  image: 'buildfleet-image',
  release: 'buildfleet-release',
  architecture: 'buildfleet-architecture',
  /** The first 32 hex digits of the plan digest (Hetzner label values hold at most 63 characters). */
  plan: 'buildfleet-plan',
} as const;

export const IMAGE_KIND = 'debusine-worker';

/** Labels (Hetzner) and tags (EC2) on every resource a publish run creates; runners add the plan digest. */
export function ownershipLabels(options: BuildOptions): Record<string, string> {
  return {
    [OWNERSHIP_LABELS.managedBy]: MANAGED_BY,
    [IMAGE_LABELS.image]: IMAGE_KIND,
    [IMAGE_LABELS.release]: options.release,
    [IMAGE_LABELS.architecture]: options.architecture,
  };
}

export function publishSteps(options: BuildOptions, localSize: string): PublishStep[] {
  const name = imageBaseName(options);
  const labels = ownershipLabels(options);
  const debian = `debian-${RELEASE_NUMBER[options.release]}`;
  switch (options.target) {
    case 'local': {
      const raw = `${name}.raw`;
      const qcow2 = `${name}.qcow2`;
      return [
        {
          step: 'debefivm-create',
          description: 'build a UEFI raw disk with the argv of renderMmdebstrap(plan, output)',
          params: { output: raw, size: localSize, architecture: options.architecture, release: options.release },
        },
        {
          step: 'qemu-img-convert',
          description: 'compress the raw disk into a qcow2 image',
          params: { argv: ['qemu-img', 'convert', '-c', '-O', 'qcow2', raw, qcow2], output: qcow2 },
        },
      ];
    }
    case 'aws': {
      const arch = options.architecture === 'amd64' ? 'x86_64' : 'arm64';
      return [
        {
          step: 'DescribeImages',
          description: 'find the newest official Debian AMI',
          params: { Owners: [DEBIAN_AMI_OWNER], Filters: [{ Name: 'name', Values: [`${debian}-${options.architecture}-*`] }, { Name: 'architecture', Values: [arch] }], pick: 'newest CreationDate' },
        },
        {
          step: 'RunInstances',
          description: 'boot it with renderBuildUserData(plan); provisioning powers the instance off on success',
          params: { UserData: 'renderBuildUserData(plan), base64', InstanceInitiatedShutdownBehavior: 'stop', MinCount: 1, MaxCount: 1, ingress: 'none; egress to the mirrors', tags: labels },
        },
        {
          step: 'WaitInstanceStopped',
          description: 'wait for the self power-off; on timeout read GetConsoleOutput and terminate',
          params: { state: 'stopped' },
        },
        {
          step: 'CreateImage',
          description: 'snapshot the stopped instance into an AMI',
          params: { Name: `${name}-<timestamp>`, NoReboot: true, tags: labels },
        },
        { step: 'WaitImageAvailable', description: 'wait until the AMI is available', params: { state: 'available' } },
        { step: 'CreateTags', description: 'tag the AMI and its snapshots, so list and prune find them', params: { tags: labels } },
        { step: 'TerminateInstances', description: 'delete the build instance', params: {} },
      ];
    }
    case 'hetzner':
      return [
        {
          step: 'create_server',
          description: 'POST /v1/servers from the stock Debian image with renderBuildUserData(plan)',
          params: {
            image: debian,
            server_type: options.architecture === 'amd64' ? 'cx23' : 'cax11',
            user_data: 'renderBuildUserData(plan)',
            labels,
            why_server_type: 'the smallest disk of the architecture, so the snapshot fits every larger type',
          },
        },
        {
          step: 'wait_server_off',
          description: 'poll the server until status is "off" (self power-off on success); time out otherwise',
          params: { status: 'off' },
        },
        {
          step: 'create_image',
          description: 'POST /v1/servers/{id}/actions/create_image, then poll GET /v1/actions/{id} until success',
          params: { type: 'snapshot', description: `${name}-<timestamp>`, labels },
        },
        { step: 'delete_server', description: 'DELETE /v1/servers/{id}; the snapshot id becomes the pool image_name', params: {} },
      ];
  }
}
