import { posix } from 'node:path';
import type { BuildPlan } from '../types';
import { renderProvisionScript } from './script';

/** A file the local runner writes into the staging directory before running the command. */
export interface StagedFile {
  /** File name inside `staging.dir`. */
  name: string;
  mode: string;
  content: string;
}

export interface MmdebstrapCommand {
  /** Full command line, spawned without a shell: `debefivm-create … -- <mmdebstrap args>`. */
  argv: string[];
  /** The part after `--`, which debefivm-create passes through to mmdebstrap. */
  mmdebstrapArgs: string[];
  /** Host directory the hooks upload from; the runner creates it and writes `files` first. */
  staging: { dir: string; files: StagedFile[] };
  /** Host file a customize hook fills with `package<TAB>version` lines of the finished image. */
  packageList: string;
}

const SCRIPT_IN_CHROOT = '/tmp/buildfleet-provision.sh';
const PACKAGE_LIST = 'packages.tsv';
/** Only /etc/hosts keeps it: the plan deletes /etc/hostname, and cloud-init sets the real one. */
const HOSTNAME = 'debusine-worker';

/**
 * The local build: debefivm-create (debvm) producing a UEFI raw disk at `outputPath`. Base
 * sources are the mmdebstrap mirror argument, the extra source and pins are uploaded by setup
 * hooks (so package installation already sees them), and the provisioning script runs in the
 * chroot with `--chroot` as a customize hook.
 */
export function renderMmdebstrap(plan: BuildPlan, outputPath: string, stagingDir = `${outputPath}.staging`): MmdebstrapCommand {
  for (const [name, path] of [['outputPath', outputPath], ['stagingDir', stagingDir]] as const) {
    if (!/^[^\s'"\\$`]+$/.test(path)) throw new Error(`${name} ${JSON.stringify(path)}: use a path without blanks, quotes, "$", "\\" or backquotes (mmdebstrap hooks are shell words)`);
  }
  const staged = (name: string) => posix.join(stagingDir, name);
  const [debianSources, ...extraSources] = plan.apt.sources;
  const files: StagedFile[] = [...plan.apt.sources, ...plan.apt.preferences].map((f) => ({ name: posix.basename(f.path), mode: '0644', content: f.content }));
  files.push({ name: 'provision.sh', mode: '0755', content: renderProvisionScript(plan) });

  const mmdebstrapArgs = [
    `--include=${[...plan.packages.map((p) => p.name), plan.local_build.kernel].join(',')}`,
    ...[...extraSources, ...plan.apt.preferences].map((f) => `--setup-hook=upload ${staged(posix.basename(f.path))} ${f.path}`),
    // mmdebstrap copied the mirror file in as 0000<name>; the script writes it under its real name.
    `--customize-hook=rm -f "$1/etc/apt/sources.list.d/0000${posix.basename(debianSources!.path)}"`,
    `--customize-hook=upload ${staged('provision.sh')} ${SCRIPT_IN_CHROOT}`,
    `--customize-hook=chroot "$1" bash ${SCRIPT_IN_CHROOT} --chroot`,
    `--customize-hook=rm -f "$1${SCRIPT_IN_CHROOT}"`,
    `--customize-hook=dpkg-query --admindir="$1/var/lib/dpkg" --show --showformat='\${Package}\\t\${Version}\\n' >${staged(PACKAGE_LIST)}`,
    staged(posix.basename(debianSources!.path)),
  ];
  // Flags as debvm 0.4.5's debefivm-create(1) documents them. `--skip=kernel`: the plan's cloud
  // kernel is in --include. `--skip=autologin`: debvm would otherwise delete root's password and
  // log root in on the serial console, which no published image may do.
  const argv = [
    'debefivm-create',
    `--architecture=${plan.architecture}`,
    `--release=${plan.release}`,
    `--imagesize=${plan.local_build.size}`,
    `--hostname=${HOSTNAME}`,
    '--skip=kernel',
    '--skip=autologin',
    `--output=${outputPath}`,
    '--',
    ...mmdebstrapArgs,
  ];
  return { argv, mmdebstrapArgs, staging: { dir: stagingDir, files }, packageList: staged(PACKAGE_LIST) };
}
