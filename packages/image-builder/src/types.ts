import type { Architecture, BuildOptions, Release, Target } from './options';

/**
 * Terms:
 * - option key: what asked for a part of the plan, written `base`, `enable_backends:<backend>`,
 *   `enable_tasks:<task>`, `release:bookworm`, `worker_source:<source>`, `source` or `api_url`.
 * - plan: everything an image must contain, as data; the renderers turn it into a debefivm-create
 *   command line (local build) or one provisioning script inside cloud-init user data (a build on
 *   a provider instance). Same options, same plan, same digest.
 * - expectation: what the booted worker must report (dynamic metadata) or pass (shell checks).
 */

/** One APT file: a deb822 `.sources` file or an apt_preferences(5) file. */
export interface AptFile {
  path: string;
  content: string;
  needed_by: string[];
  reason: string;
}

export interface AptPlan {
  /** Base Debian sources first, then the validated extra source, if any. */
  sources: AptFile[];
  /** Pins: bookworm backports, and the extra source's pin. */
  preferences: AptFile[];
}

export interface PlannedPackage {
  name: string;
  /** Option keys that need the package, sorted. */
  needed_by: string[];
  /** Why, one sentence per distinct need. */
  reason: string;
  /** Set when a pin makes APT take the package from a suite other than the release. */
  suite?: string;
}

export interface PlannedFile {
  path: string;
  /** Octal string, e.g. "0644". */
  mode: string;
  /** "user:group". */
  owner: string;
  content: string;
  /** Package whose conffile this file replaces; installs keep it with --force-confold. */
  replaces_conffile_of?: string;
  needed_by: string[];
  reason: string;
}

export interface GroupMembership {
  group: string;
  needed_by: string[];
  reason: string;
}

export interface PlannedUser {
  user: string;
  /** Supplementary groups added with `usermod --append --groups`; each group comes from a package. */
  groups: GroupMembership[];
}

export interface PlannedService {
  unit: string;
  /** Always "enable": nothing is started while building. */
  action: 'enable';
  needed_by: string[];
  reason: string;
}

export interface CleanupItem {
  /** `delete` removes the paths (globs allowed); `truncate` writes `content`; `command` runs `argv`. */
  action: 'delete' | 'truncate' | 'command';
  paths?: string[];
  content?: string;
  argv?: string[];
  /** `build-instance` items only apply when building on a provider instance (cloud-init state, login keys). */
  when: 'always' | 'build-instance';
  reason: string;
}

export interface ShellCheck {
  name: string;
  /** bash, run as root on the booted worker; exit 0 means pass. */
  command: string;
  needed_by: string[];
}

export interface Expectations {
  /** Dynamic metadata keys the worker must report with exactly these values, sorted by key. */
  metadata: Record<string, boolean>;
  /** What the metadata does not prove (subuids, unshare as the worker user, tools, Incus drivers). */
  checks: ShellCheck[];
}

export interface PublishStep {
  /** Stable step name, e.g. `RunInstances`, `create_image`, `debefivm-create`. */
  step: string;
  description: string;
  params: Record<string, unknown>;
}

export interface LocalBuild {
  /** Kernel installed by the local (debefivm-create) build; provider images bring their own. */
  kernel: string;
  /** Disk size passed to debefivm-create. */
  size: string;
}

export type WarningCode = 'NoKvmOnTarget' | 'SourceWithoutPin' | 'ForeignArchitectureLocalBuild';

export interface PlanWarning {
  code: WarningCode;
  message: string;
}

export interface BuildPlan {
  /** Options after defaults (lists sorted and deduplicated). */
  options: BuildOptions;
  release: Release;
  architecture: Architecture;
  target: Target;
  apt: AptPlan;
  /** Sorted by name; installed without recommends. */
  packages: PlannedPackage[];
  /** Sorted by path; written after package installation. */
  files: PlannedFile[];
  users: PlannedUser[];
  services: PlannedService[];
  cleanup: CleanupItem[];
  expect: Expectations;
  local_build: LocalBuild;
  /** Ordered provider steps for `target`. */
  publish: PublishStep[];
  warnings: PlanWarning[];
}
