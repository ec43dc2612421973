import type { BuildOptions } from './options';
import type { PlannedFile } from './types';

export const WORKER_CONFIG_DIR = '/etc/debusine/worker';
export const INCUS_BRIDGE = 'debusinebr0';
export const INCUS_PRESEED_PATH = '/etc/buildfleet/incus-preseed.yaml';
export const INCUS_INIT_UNIT = 'buildfleet-incus-init.service';
const INCUS_STAMP = '/var/lib/buildfleet/incus-initialised';

const METADATA_IPV4 = '169.254.169.254';
const METADATA_IPV6 = 'fd00:ec2::254';

export function plannedFiles(options: BuildOptions): PlannedFile[] {
  const incus = options.enable_backends.filter((b) => b === 'incus-lxc' || b === 'incus-vm').map((b) => `enable_backends:${b}`);
  const userns = [
    ...(options.enable_backends.includes('unshare') ? ['enable_backends:unshare'] : []),
    ...options.enable_tasks.filter((t) => t === 'mmdebstrap' || t === 'simplesystemimagebuild').map((t) => `enable_tasks:${t}`),
  ];
  const files: PlannedFile[] = [
    {
      path: '/etc/nftables.conf',
      mode: '0755',
      owner: 'root:root',
      content: nftablesConf(incus.length > 0),
      replaces_conffile_of: 'nftables',
      needed_by: ['base', ...incus],
      reason: 'keeps tasks and guests away from the cloud metadata service, which serves the activation token',
    },
    {
      path: '/etc/systemd/system/debusine-worker.service.d/buildfleet.conf',
      mode: '0644',
      owner: 'root:root',
      content: workerDropIn(),
      needed_by: ['base'],
      reason: 'the worker must not register before cloud-init has written the activation token',
    },
  ];
  if (userns.length > 0) {
    files.push({
      path: '/etc/sysctl.d/60-buildfleet-userns.conf',
      mode: '0644',
      owner: 'root:root',
      content: [
        '# Unprivileged user namespaces: unshare executor, sbuild/mmdebstrap --mode=unshare, debefivm-create.',
        '# "-" ignores a kernel without the Debian-specific switch.',
        '-kernel.unprivileged_userns_clone = 1',
        'user.max_user_namespaces = 65536',
        '',
      ].join('\n'),
      needed_by: userns,
      reason: 'a hardened base image must not silently disable user namespaces',
    });
  }
  if (incus.length > 0) {
    files.push(
      {
        path: INCUS_PRESEED_PATH,
        mode: '0644',
        owner: 'root:root',
        content: incusPreseed(options.incus_bridge_ipv4),
        needed_by: incus,
        reason: `incus admin init --preseed with an explicit ${INCUS_BRIDGE} subnet (automatic subnet selection fails on some clouds)`,
      },
      {
        path: `/etc/systemd/system/${INCUS_INIT_UNIT}`,
        mode: '0644',
        owner: 'root:root',
        content: incusInitUnit(),
        needed_by: incus,
        reason: 'Incus state (certificates, database) must be created per instance at first boot, not baked',
      },
    );
  }
  if (options.api_url) {
    files.push({
      path: `${WORKER_CONFIG_DIR}/config.ini`,
      mode: '0644',
      owner: 'debusine-worker:debusine-worker',
      content: workerConfigIni(options.api_url),
      needed_by: ['api_url'],
      reason: 'baked server URL: boot user data then only needs the activation token',
    });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** `[General]` section of the worker's config.ini, as Debusine's own cloud-init writes it. */
export function workerConfigIni(apiUrl: string): string {
  return ['[General]', `api-url = ${apiUrl}`, 'log-file = /var/log/debusine/worker/worker.log', 'log-level = DEBUG', ''].join('\n');
}

/**
 * `/etc/nftables.conf` of a worker: only established traffic and SSH come in, and task code
 * (any user but root, and guests) cannot reach the cloud metadata service, which hands out the
 * instance's credentials and user data. With `incus`, guests on the Incus bridge may use its
 * DHCP and DNS. Shared by images and by the provisioner's install-at-boot user data.
 */
export function nftablesConf(incus: boolean): string {
  return [
    '#!/usr/sbin/nft -f',
    '# Managed by buildfleet. Only the inet filter table is replaced, never the whole ruleset,',
    "# so Incus's own tables survive a restart of nftables.service.",
    'table inet filter',
    'delete table inet filter',
    'table inet filter {',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    '\t\tiif "lo" accept',
    '\t\ttcp dport 22 accept',
    '\t\tmeta l4proto { icmp, ipv6-icmp } accept',
    ...(incus ? [`\t\tiifname "${INCUS_BRIDGE}" udp dport { 53, 67 } accept`, `\t\tiifname "${INCUS_BRIDGE}" tcp dport 53 accept`] : []),
    '\t\tct state { invalid, new, untracked } drop',
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    `\t\tip daddr ${METADATA_IPV4} drop`,
    `\t\tip6 daddr ${METADATA_IPV6} drop`,
    '\t}',
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    `\t\tip daddr ${METADATA_IPV4} meta skuid != 0 drop`,
    `\t\tip6 daddr ${METADATA_IPV6} meta skuid != 0 drop`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

function workerDropIn(): string {
  return [
    '# Managed by buildfleet. Start only once cloud-init has written the activation token (or the',
    '# worker already registered). Not after cloud-final.service: runcmd restarts the worker there.',
    '[Unit]',
    'Wants=network-online.target',
    'After=network-online.target cloud-config.service',
    `ConditionPathExists=|${WORKER_CONFIG_DIR}/token`,
    `ConditionPathExists=|${WORKER_CONFIG_DIR}/activation-token`,
    '',
  ].join('\n');
}

function incusPreseed(bridgeIpv4: string): string {
  return [
    'config: {}',
    'networks:',
    `- name: ${INCUS_BRIDGE}`,
    '  type: bridge',
    '  config:',
    `    ipv4.address: ${bridgeIpv4}`,
    '    ipv4.nat: "true"',
    '    ipv6.address: none',
    'storage_pools:',
    '- name: default',
    '  driver: dir',
    'profiles:',
    '- name: default',
    '  devices:',
    '    root:',
    '      type: disk',
    '      path: /',
    '      pool: default',
    '- name: debusine',
    '  config:',
    '    raw.lxc: lxc.mount.auto=sys',
    '    security.secureboot: "false"',
    '  devices:',
    '    host0:',
    '      type: nic',
    '      name: host0',
    `      network: ${INCUS_BRIDGE}`,
    '    root:',
    '      type: disk',
    '      path: /',
    '      pool: default',
    '',
  ].join('\n');
}

function incusInitUnit(): string {
  return [
    '# Managed by buildfleet: initialise Incus once per instance, before the worker starts.',
    '[Unit]',
    'Description=Initialise Incus for debusine-worker',
    'Requires=incus.socket',
    'Wants=network-online.target',
    'After=incus.socket incus.service network-online.target',
    'Before=debusine-worker.service',
    `ConditionPathExists=!${INCUS_STAMP}`,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    'StateDirectory=buildfleet',
    `StandardInput=file:${INCUS_PRESEED_PATH}`,
    'ExecStart=/usr/bin/incus admin init --preseed',
    `ExecStart=/usr/bin/touch ${INCUS_STAMP}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
