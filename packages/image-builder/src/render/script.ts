import { stringify } from 'yaml';
import { planDigest } from '../plan';
import type { BuildPlan, CleanupItem } from '../types';

export const DPKG_KEEP_CONFFILES = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];
const APT_LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=600'];
export const INSTANCE_SCRIPT_PATH = '/run/buildfleet/provision.sh';
export const INSTANCE_SUCCESS_STAMP = '/run/buildfleet/provisioned';

/** Quotes one word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const command = (argv: readonly string[]) => argv.map(shellQuote).join(' ');

/**
 * One idempotent bash script that provisions the image from the plan: APT sources and pins,
 * packages (apt-get, no recommends, keeping our conffiles), files, groups, services, cleanup.
 * A build on a provider instance runs it as is; the local mmdebstrap build runs it inside the
 * chroot with `--chroot`, which skips what mmdebstrap already did (apt) and what only a running
 * instance has (daemons, cloud-init state).
 */
export function renderProvisionScript(plan: BuildPlan): string {
  const out: string[] = [
    '#!/bin/bash',
    `# Provisions a debusine-worker image: buildfleet plan ${planDigest(plan)}`,
    `# (${plan.release}, ${plan.architecture}, backends: ${plan.options.enable_backends.join(' ')}, tasks: ${plan.options.enable_tasks.join(' ')}).`,
    '# Usage: provision.sh [--chroot]; safe to run again.',
    'set -euo pipefail',
    'shopt -s nullglob',
    'chroot=0',
    'case "${1:-}" in',
    '  --chroot) chroot=1 ;;',
    '  "") ;;',
    '  *) echo "usage: $0 [--chroot]" >&2; exit 2 ;;',
    'esac',
    'export DEBIAN_FRONTEND=noninteractive',
    'log() { echo "buildfleet-provision: $*"; }',
    'write_file() {',
    '  local path=$1 mode=$2 owner=$3 tmp',
    '  mkdir -p "$(dirname "$path")"',
    '  tmp=$(mktemp "$path.XXXXXX")',
    '  cat >"$tmp"',
    '  chmod "$mode" "$tmp"',
    '  chown "$owner" "$tmp"',
    '  mv -f "$tmp" "$path"',
    '}',
    '',
    'log "APT sources and pins"',
  ];
  for (const file of [...plan.apt.sources, ...plan.apt.preferences]) out.push(...writeFile(file.path, '0644', 'root:root', file.content));

  const apt = ['apt-get', ...APT_LOCK_WAIT];
  const install = ['-y', '--no-install-recommends', ...DPKG_KEEP_CONFFILES];
  out.push(
    '',
    'if [ "$chroot" = 0 ]; then',
    '  log "packages"',
    `  ${command([...apt, 'update', '--error-on=any'])}`,
    `  ${command([...apt, 'upgrade', ...install])}`,
    `  ${command([...apt, 'install', ...install])} \\`,
    ...plan.packages.map((p, i) => `    ${shellQuote(p.name)}${i < plan.packages.length - 1 ? ' \\' : ''}`),
    'fi',
    '',
    'log "files"',
  );
  for (const file of plan.files) out.push(...writeFile(file.path, file.mode, file.owner, file.content));

  for (const user of plan.users) {
    const groups = user.groups.map((g) => g.group);
    out.push(
      '',
      `log "groups of ${user.user}"`,
      `for group in ${groups.map(shellQuote).join(' ')}; do`,
      '  getent group "$group" >/dev/null || { echo "group $group is missing: its package did not install" >&2; exit 1; }',
      'done',
      command(['usermod', '--append', '--groups', groups.join(','), user.user]),
    );
  }

  out.push('', 'log "services"', 'if [ "$chroot" = 0 ]; then systemctl daemon-reload; fi', command(['systemctl', 'enable', ...plan.services.map((s) => s.unit)]));

  out.push('', 'log "cleanup"');
  for (const item of plan.cleanup) {
    const lines = cleanupLines(item);
    if (item.when === 'always') out.push(...lines);
    else out.push('if [ "$chroot" = 0 ]; then', ...lines.map((l) => `  ${l}`), 'fi');
  }
  out.push('log "done"', '');
  return out.join('\n');
}

/**
 * cloud-init user data for building on a provider instance: writes the provisioning script to
 * /run (gone after power-off), runs it, and lets cloud-init power the instance off only when the
 * script succeeded. On failure the instance stays up for its console log.
 */
export function renderBuildUserData(plan: BuildPlan): string {
  const document = {
    write_files: [{ path: INSTANCE_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: renderProvisionScript(plan) }],
    runcmd: [['bash', '-c', `${INSTANCE_SCRIPT_PATH} && touch ${INSTANCE_SUCCESS_STAMP}`]],
    power_state: {
      mode: 'poweroff',
      message: 'buildfleet: provisioning succeeded, powering off for the snapshot',
      condition: `test -e ${INSTANCE_SUCCESS_STAMP}`,
    },
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

function writeFile(path: string, mode: string, owner: string, content: string): string[] {
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  let delimiter = 'BUILDFLEET_EOF';
  while (body.split('\n').includes(delimiter)) delimiter += '_';
  return [`write_file ${shellQuote(path)} ${mode} ${shellQuote(owner)} <<'${delimiter}'`, body, delimiter];
}

function cleanupLines(item: CleanupItem): string[] {
  switch (item.action) {
    case 'command':
      return [command(item.argv ?? [])];
    case 'truncate':
      return (item.paths ?? []).map((path) => `printf %s ${shellQuote(item.content ?? '')} >${shellQuote(path)}`);
    case 'delete':
      // Paths are the plan's own constants; globs stay unquoted so bash expands them.
      return [`rm -rf -- ${(item.paths ?? []).map(globWord).join(' ')}`];
  }
}

function globWord(path: string): string {
  if (!/^\/[A-Za-z0-9_.*/-]+$/.test(path)) throw new Error(`cleanup path ${JSON.stringify(path)} is not a plain absolute path or glob`);
  return path;
}
