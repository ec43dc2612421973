import type { BuildOptions } from './options';
import type { PlannedPackage } from './types';

interface Need {
  name: string;
  by: string;
  reason: string;
}

/** Source package of each installed binary whose version may come from backports. */
const SOURCE_OF: Record<string, string> = {
  autopkgtest: 'autopkgtest',
  debvm: 'debvm',
  'debusine-worker': 'debusine',
  incus: 'incus',
  'incus-base': 'incus',
  mmdebstrap: 'mmdebstrap',
  'qemu-system-arm': 'qemu',
  'qemu-system-x86': 'qemu',
  'qemu-utils': 'qemu',
  sbuild: 'sbuild',
};

/** Backports pins of Debusine's own cloud-init for bookworm, kept in the image for boot-time upgrades. */
const BOOKWORM_BACKPORTS_PINS = ['autopkgtest', 'incus', 'python-django', 'qemu', 'seabios'];

export function packageNeeds(options: BuildOptions): Need[] {
  const { architecture: arch, release } = options;
  const backends = new Set(options.enable_backends);
  const tasks = new Set(options.enable_tasks);
  const needs: Need[] = [];
  const need = (by: string, reason: string, ...names: string[]) => names.forEach((name) => needs.push({ name, by, reason }));
  const firmware = arch === 'amd64' ? 'ovmf' : 'qemu-efi-aarch64';
  const qemuSystem = arch === 'amd64' ? 'qemu-system-x86' : 'qemu-system-arm';

  const workerBy = options.worker_source === 'source' ? 'source' : 'base';
  need(workerBy, `the worker itself (from ${options.worker_source === 'source' ? 'the extra source' : options.worker_source === 'backports' ? `${release}-backports` : release})`, 'debusine-worker');
  need('base', 'HTTPS to the Debusine server and mirrors', 'ca-certificates');
  need('base', 'delivers the activation token and API URL at boot', 'cloud-init');
  need('base', 'growpart, so the root filesystem fills the provider disk', 'cloud-guest-utils');
  need('base', 'cloud-init renders the network with it', 'iproute2');
  need('base', 'console-less debugging of a booted worker', 'openssh-server');
  need('base', 'the firewall that keeps tasks away from the metadata service', 'nftables');
  need('base', 'cloud-init uses it as apt wrapper, so boot-time upgrades are fast', 'eatmydata');
  need('base', 'keyring handling for task repositories', 'gpg');
  need('base', 'tasks write .tar.xz artifacts', 'xz-utils');
  need('base', 'Signed-By keyring of the Debian sources', 'debian-archive-keyring');

  if (backends.has('unshare')) {
    need('enable_backends:unshare', 'newuidmap/newgidmap for unshare --map-users=auto', 'uidmap');
  }
  for (const backend of ['incus-lxc', 'incus-vm'] as const) {
    if (!backends.has(backend)) continue;
    const by = `enable_backends:${backend}`;
    need(by, 'Incus containers', 'incus-base');
    need(by, 'DHCP and DNS on the debusinebr0 bridge (a Recommends of incus-base)', 'dnsmasq-base');
    need(by, 'container confinement (a Recommends of incus-base)', 'apparmor');
    need(by, 'the executor needs autopkgtest-virt-incus', 'autopkgtest');
  }
  if (backends.has('incus-vm')) {
    const by = 'enable_backends:incus-vm';
    need(by, 'Incus virtual machines (full variant with qemu)', 'incus');
    need(by, 'UEFI firmware for the guests (only a Recommends of qemu)', firmware);
    need(by, 'the executor converts raw images to qcow2', 'qemu-utils');
  }
  if (backends.has('qemu')) {
    const by = 'enable_backends:qemu';
    need(by, `${arch === 'amd64' ? 'qemu-system-x86_64' : 'qemu-system-aarch64'} for the guests`, qemuSystem);
    need(by, 'autopkgtest-virt-qemu boots the images with EFI', firmware);
    need(by, 'image conversion with qemu-img', 'qemu-utils');
    need(by, 'the executor runs through autopkgtest-virt-qemu', 'autopkgtest');
  }

  if (tasks.has('autopkgtest')) need('enable_tasks:autopkgtest', 'the autopkgtest task', 'autopkgtest');
  if (tasks.has('sbuild')) {
    need('enable_tasks:sbuild', 'the sbuild task', 'sbuild');
    if (backends.has('unshare')) need('enable_tasks:sbuild', 'sbuild --chroot-mode=unshare maps ids with newuidmap', 'uidmap');
    if ([...backends].some((b) => b !== 'unshare')) {
      need('enable_tasks:sbuild', 'sbuild --chroot-mode=autopkgtest on non-unshare backends', 'autopkgtest');
    }
  }
  if (tasks.has('mmdebstrap')) {
    const by = 'enable_tasks:mmdebstrap';
    need(by, 'the mmdebstrap task', 'mmdebstrap');
    need(by, 'mmdebstrap --mode=unshare', 'uidmap');
    need(by, 'keyring handling', 'gpg');
    need(by, 'the task writes system.tar.xz', 'xz-utils');
    need(by, 'default keyring for Debian bootstraps', 'debian-archive-keyring');
  }
  if (tasks.has('simplesystemimagebuild')) {
    const by = 'enable_tasks:simplesystemimagebuild';
    need(by, 'debefivm-create builds the image', 'debvm');
    need(by, 'debefivm-create bootstraps with mmdebstrap (also what simplesystemimagebuild:available checks)', 'mmdebstrap');
    need(by, 'debefivm-create runs unprivileged through unshare', 'uidmap');
    need(by, 'mkfs.ext4 -d for the root filesystem', 'e2fsprogs');
    need(by, 'mkfs.fat for the EFI system partition', 'dosfstools');
    need(by, 'mmd/mcopy fill the EFI system partition', 'mtools');
    need(by, 'sfdisk partitions the image', 'fdisk');
    if (release === 'trixie') need(by, 'ukify builds the unified kernel image', 'systemd-ukify');
    else need(by, 'objcopy builds the unified kernel image (bookworm has no systemd-ukify)', 'binutils');
    need(by, 'qemu-img writes qcow2 output', 'qemu-utils');
    need(by, 'tar --auto-compress for .tar.xz output', 'xz-utils');
  }
  return needs;
}

/** Source packages pinned to backports (priority 900), or none. */
export function backportsPins(options: BuildOptions, installed: ReadonlySet<string>): string[] {
  const pins = new Set<string>(options.release === 'bookworm' ? BOOKWORM_BACKPORTS_PINS : []);
  if (options.worker_source === 'backports') pins.add('debusine');
  if (options.release === 'bookworm') {
    for (const name of ['mmdebstrap', 'debvm', 'sbuild']) if (installed.has(name)) pins.add(name);
  }
  return [...pins].sort();
}

export function mergeNeeds(needs: Need[], pins: string[], backportsSuite: string): PlannedPackage[] {
  const byName = new Map<string, { by: Set<string>; reasons: string[] }>();
  for (const { name, by, reason } of needs) {
    const entry = byName.get(name) ?? { by: new Set<string>(), reasons: [] };
    entry.by.add(by);
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    byName.set(name, entry);
  }
  return [...byName.keys()].sort().map((name) => {
    const { by, reasons } = byName.get(name)!;
    const source = SOURCE_OF[name];
    return {
      name,
      needed_by: [...by].sort(),
      reason: reasons.join('; '),
      ...(source && pins.includes(source) ? { suite: backportsSuite } : {}),
    };
  });
}
