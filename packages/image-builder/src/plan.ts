import { createHash } from 'node:crypto';
import { type FieldIssue, ValidationError } from '@buildfleet/models';
import { type AptSource, parseSource } from './deb822';
import { INCUS_BRIDGE, INCUS_INIT_UNIT, plannedFiles } from './files';
import { type BuildOptions, resolveOptions } from './options';
import { backportsPins, mergeNeeds, packageNeeds } from './packages';
import { publishSteps } from './publish';
import type { AptFile, AptPlan, BuildPlan, CleanupItem, Expectations, PlannedPackage, PlannedService, PlannedUser, PlanWarning } from './types';

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
export const EXTRA_SOURCE_PATH = '/etc/apt/sources.list.d/buildfleet-extra.sources';
const DEBIAN_KEYRINGS = ['/usr/share/keyrings/debian-archive-keyring.gpg', '/usr/share/keyrings/debian-archive-keyring.pgp'];
const LOCAL_IMAGE_SIZE = '4G';

/**
 * Everything an image for `input` must contain and how to publish it, as data. Pure: the same
 * options always give the same plan (and `planDigest`). Bad options or a bad `source` throw a
 * ValidationError naming each problem; nothing is built.
 */
export function plan(input: unknown): BuildPlan {
  const options = resolveOptions(input);
  const source = options.source === undefined ? undefined : parseSource(options.source);
  if (source) checkKeyringPaths(source);

  const needs = packageNeeds(options);
  const pins = backportsPins(options, new Set(needs.map((n) => n.name)));
  const backportsSuite = `${options.release}-backports`;
  const packages = mergeNeeds(needs, pins, backportsSuite);

  return {
    options,
    release: options.release,
    architecture: options.architecture,
    target: options.target,
    apt: aptPlan(options, source, pins),
    packages,
    files: plannedFiles(options),
    users: users(options),
    services: services(options),
    cleanup: cleanup(options),
    expect: expectations(options, packages),
    local_build: { kernel: `linux-image-cloud-${options.architecture}`, size: LOCAL_IMAGE_SIZE },
    publish: publishSteps(options, LOCAL_IMAGE_SIZE),
    warnings: warnings(options),
  };
}

/** sha256 (hex) of the plan as canonical JSON (object keys sorted at every level). */
export function planDigest(buildPlan: BuildPlan): string {
  return createHash('sha256').update(canonicalJson(buildPlan)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function checkKeyringPaths(source: AptSource): void {
  const issues: FieldIssue[] = source.stanzas.flatMap((stanza) =>
    stanza.signedBy.kind === 'references'
      ? stanza.signedBy.paths
          .filter((path) => !DEBIAN_KEYRINGS.includes(path))
          .map((path) => ({
            field: `stanza ${stanza.index} (line ${stanza.line}) Signed-By`,
            message: `${path} is not in the image (only ${DEBIAN_KEYRINGS.join(' and ')} are); embed the armored key instead`,
          }))
      : [],
  );
  if (issues.length > 0) throw new ValidationError('source (deb822 APT source)', issues);
}

function aptPlan(options: BuildOptions, source: AptSource | undefined, pins: string[]): AptPlan {
  const { release } = options;
  const withBackports = release === 'bookworm' || options.worker_source === 'backports';
  const suites = [release, `${release}-updates`, ...(withBackports ? [`${release}-backports`] : [])];
  const keyring = DEBIAN_KEYRINGS[0]!;
  const debianSources: AptFile = {
    path: '/etc/apt/sources.list.d/debian.sources',
    content: [
      'Types: deb',
      `URIs: ${DEBIAN_MIRROR}`,
      `Suites: ${suites.join(' ')}`,
      'Components: main',
      `Signed-By: ${keyring}`,
      '',
      'Types: deb',
      `URIs: ${DEBIAN_SECURITY_MIRROR}`,
      `Suites: ${release}-security`,
      'Components: main',
      `Signed-By: ${keyring}`,
      '',
    ].join('\n'),
    needed_by: withBackports ? ['base', release === 'bookworm' ? 'release:bookworm' : 'worker_source:backports'] : ['base'],
    reason: withBackports ? `Debian ${release} with updates, security and backports` : `Debian ${release} with updates and security`,
  };
  const sources = [debianSources];
  if (source) {
    sources.push({ path: EXTRA_SOURCE_PATH, content: source.text, needed_by: ['source'], reason: 'the extra source given in the options' });
  }
  const preferences: AptFile[] = [];
  if (options.pin) {
    preferences.push({
      path: '/etc/apt/preferences.d/80-buildfleet-source',
      content: ['Package: src:debusine', `Pin: release ${options.pin}`, 'Pin-Priority: 900', ''].join('\n'),
      needed_by: ['pin'],
      reason: "debusine-worker from the extra source wins even when Debian's version is higher",
    });
  }
  if (pins.length > 0) {
    preferences.push({
      path: '/etc/apt/preferences.d/90-debusine',
      content: [`Package: ${pins.map((p) => `src:${p}`).join(' ')}`, `Pin: release n=${release}-backports`, 'Pin-Priority: 900', ''].join('\n'),
      needed_by: release === 'bookworm' ? ['release:bookworm'] : ['worker_source:backports'],
      reason: 'newer worker, autopkgtest, incus and qemu from backports; kept so boot-time upgrades follow backports',
    });
  }
  return { sources, preferences };
}

const incusBackends = (options: BuildOptions) => options.enable_backends.filter((b) => b === 'incus-lxc' || b === 'incus-vm');
const kvmBackends = (options: BuildOptions) => options.enable_backends.filter((b) => b === 'incus-vm' || b === 'qemu');
const hasKvm = (options: BuildOptions) => options.target === 'local';
const keys = (prefix: string, names: readonly string[]) => names.map((n) => `${prefix}:${n}`);

function users(options: BuildOptions): PlannedUser[] {
  const groups: PlannedUser['groups'] = [];
  if (options.enable_tasks.includes('sbuild')) {
    groups.push({ group: 'sbuild', needed_by: ['enable_tasks:sbuild'], reason: 'upstream setup (sbuild-adduser); the group comes with sbuild' });
  }
  if (incusBackends(options).length > 0) {
    groups.push({ group: 'incus-admin', needed_by: keys('enable_backends', incusBackends(options)), reason: 'the worker drives Incus; done at build time so no boot unit restarts the worker' });
  }
  if (kvmBackends(options).length > 0) {
    groups.push({ group: 'kvm', needed_by: keys('enable_backends', kvmBackends(options)), reason: '/dev/kvm for runs outside the unit (which has SupplementaryGroups=kvm)' });
  }
  return groups.length > 0 ? [{ user: 'debusine-worker', groups: groups.sort((a, b) => a.group.localeCompare(b.group)) }] : [];
}

function services(options: BuildOptions): PlannedService[] {
  const list: PlannedService[] = [
    { unit: 'debusine-worker.service', action: 'enable', needed_by: ['base'], reason: 'stays enabled; the drop-in holds it until a token exists' },
    { unit: 'nftables.service', action: 'enable', needed_by: ['base'], reason: 'loads the firewall at boot' },
  ];
  if (incusBackends(options).length > 0) {
    list.push({ unit: INCUS_INIT_UNIT, action: 'enable', needed_by: keys('enable_backends', incusBackends(options)), reason: 'initialises Incus at first boot' });
  }
  return list.sort((a, b) => a.unit.localeCompare(b.unit));
}

function cleanup(options: BuildOptions): CleanupItem[] {
  const incus = incusBackends(options).length > 0;
  return [
    {
      action: 'command',
      argv: ['systemctl', 'stop', 'debusine-worker.service', ...(incus ? ['incus.service', 'incus.socket'] : [])],
      when: 'build-instance',
      reason: 'package scripts may have started daemons that write state',
    },
    {
      action: 'delete',
      paths: ['/etc/debusine/worker/token', '/etc/debusine/worker/activation-token', '/var/log/debusine/worker/*'],
      when: 'always',
      reason: 'worker identity and single-use secrets belong to one instance',
    },
    { action: 'truncate', paths: ['/etc/machine-id'], content: 'uninitialized\n', when: 'always', reason: 'each instance gets its own machine id (first boot)' },
    {
      action: 'delete',
      paths: ['/var/lib/dbus/machine-id', '/var/lib/systemd/random-seed', '/var/lib/systemd/credential.secret', '/etc/hostname'],
      when: 'always',
      reason: 'per-machine identity and randomness; cloud-init sets the hostname',
    },
    { action: 'delete', paths: ['/etc/ssh/ssh_host_*'], when: 'always', reason: 'host keys are generated per instance by cloud-init' },
    ...(incus ? [{ action: 'delete' as const, paths: ['/var/lib/incus/*'], when: 'always' as const, reason: 'Incus database, certificate and pools are created at first boot' }] : []),
    {
      action: 'delete',
      paths: ['/var/lib/apt/lists/*', '/var/cache/apt/*.bin', '/var/cache/apt/archives/*.deb', '/var/lib/dhcp/*.leases', '/root/.bash_history'],
      when: 'always',
      reason: 'size and stale state; boot-time package_update refreshes the lists',
    },
    {
      action: 'command',
      argv: ['cloud-init', 'clean', '--logs', '--seed'],
      when: 'build-instance',
      reason: 'the build instance must not leave its cloud-init state and logs in the image',
    },
    {
      action: 'delete',
      paths: ['/etc/netplan/50-cloud-init.yaml', '/etc/network/interfaces.d/50-cloud-init', '/etc/systemd/network/10-cloud-init-*.network', '/root/.ssh/authorized_keys', '/home/*/.ssh/authorized_keys'],
      when: 'build-instance',
      reason: "network config rendered for the build instance and its login keys",
    },
  ];
}

function expectations(options: BuildOptions, packages: PlannedPackage[]): Expectations {
  const installed = new Set(packages.map((p) => p.name));
  const backends = new Set(options.enable_backends);
  const kvm = hasKvm(options);
  const incus = backends.has('incus-lxc') || backends.has('incus-vm');
  const metadata: Record<string, boolean> = {
    'autopkgtest:available': installed.has('autopkgtest'),
    'executor:incus-lxc:available': incus,
    'executor:incus-vm:available': backends.has('incus-vm') && kvm,
    'executor:qemu:available': backends.has('qemu') && kvm,
    'executor:unshare:available': backends.has('unshare'),
    'mmdebstrap:available': installed.has('mmdebstrap'),
    'sbuild:available': installed.has('sbuild'),
    // Debusine checks only for mmdebstrap here, not debefivm-create.
    'simplesystemimagebuild:available': installed.has('mmdebstrap'),
  };
  const checks: Expectations['checks'] = [
    { name: 'firewall table loaded', command: 'nft list table inet filter >/dev/null', needed_by: ['base'] },
    { name: 'worker user cannot reach the metadata service', command: "! runuser -u debusine-worker -- timeout 5 bash -c '</dev/tcp/169.254.169.254/80'", needed_by: ['base'] },
    { name: 'architecture reported', command: `arch-test -n | grep -qx ${options.architecture}`, needed_by: ['base'] },
  ];
  if (backends.has('unshare')) {
    checks.push(
      { name: 'subordinate ids for debusine-worker', command: "grep -q '^debusine-worker:' /etc/subuid && grep -q '^debusine-worker:' /etc/subgid", needed_by: ['enable_backends:unshare'] },
      { name: 'unshare works as the worker user', command: 'runuser -u debusine-worker -- unshare --map-users=auto --map-groups=auto true', needed_by: ['enable_backends:unshare'] },
    );
  }
  for (const membership of users(options)[0]?.groups ?? []) {
    checks.push({ name: `debusine-worker in group ${membership.group}`, command: `id -nG debusine-worker | grep -qw ${membership.group}`, needed_by: membership.needed_by });
  }
  if (incus) {
    const by = keys('enable_backends', incusBackends(options));
    checks.push(
      { name: 'Incus initialised at first boot', command: `systemctl is-active --quiet ${INCUS_INIT_UNIT} && incus network show ${INCUS_BRIDGE} >/dev/null && incus profile show debusine >/dev/null`, needed_by: by },
      { name: 'Incus lxc driver', command: "incus info | grep -E '^\\s*driver:' | grep -qw lxc", needed_by: by },
    );
    if (metadata['executor:incus-vm:available']) {
      checks.push({ name: 'Incus qemu driver', command: "incus info | grep -E '^\\s*driver:' | grep -qw qemu", needed_by: ['enable_backends:incus-vm'] });
    }
  }
  if (metadata['executor:qemu:available']) {
    checks.push({ name: '/dev/kvm writable by the worker', command: 'runuser -u debusine-worker -g kvm -- test -w /dev/kvm', needed_by: ['enable_backends:qemu'] });
  }
  if (options.enable_tasks.includes('simplesystemimagebuild')) {
    checks.push({
      name: 'image tools present',
      command: 'for tool in debefivm-create mkfs.fat mcopy qemu-img; do command -v "$tool" >/dev/null || exit 1; done',
      needed_by: ['enable_tasks:simplesystemimagebuild'],
    });
  }
  if (options.api_url) {
    checks.push({ name: 'baked config.ini', command: `grep -qxF 'api-url = ${options.api_url}' /etc/debusine/worker/config.ini`, needed_by: ['api_url'] });
  }
  return { metadata, checks };
}

function warnings(options: BuildOptions): PlanWarning[] {
  const list: PlanWarning[] = [];
  const vmBackends = kvmBackends(options);
  if (vmBackends.length > 0 && !hasKvm(options)) {
    list.push({
      code: 'NoKvmOnTarget',
      message: `${vmBackends.join(' and ')} ${vmBackends.length > 1 ? 'need' : 'needs'} /dev/kvm, which ordinary ${options.target} instances do not have (only EC2 *.metal types do); the plan expects ${vmBackends.map((b) => `executor:${b}:available`).join(' and ')} to be false`,
    });
  }
  if (options.worker_source === 'source' && !options.pin) {
    list.push({
      code: 'SourceWithoutPin',
      message: "without `pin`, the extra source's debusine-worker is installed only if its version is higher than Debian's",
    });
  }
  if (options.target === 'local' && options.architecture !== 'amd64') {
    list.push({
      code: 'ForeignArchitectureLocalBuild',
      message: `a local ${options.architecture} build on an amd64 host needs qemu-user-binfmt and runs under emulation`,
    });
  }
  return list;
}
