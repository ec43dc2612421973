import { readFile } from 'node:fs/promises';
import { ValidationError } from '@buildfleet/models';
import { ARCHITECTURES, BACKENDS, type BuildOptionsInput, type BuildPlan, plan, planDigest, RELEASES, TARGETS, WORKER_SOURCES } from '@buildfleet/image-builder';
import { Flags, type Interfaces } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';

/** The plan and its digest: what `image build` would build. */
export interface ImagePlanResult {
  digest: string;
  plan: BuildPlan;
}

/** The build options as flags; `image build` takes the same. */
export const planFlags = {
  source: Flags.string({ helpValue: 'FILE', summary: 'A deb822 APT source file added to the image, e.g. a debusine-worker development build. (Default: none)' }),
  backend: Flags.option({ options: BACKENDS, multiple: true })({ summary: 'An executor to install and configure; repeat for more. (Default: unshare)' }),
  task: Flags.string({ helpValue: 'T', multiple: true, summary: 'A task to install packages for (autopkgtest, sbuild, mmdebstrap, simplesystemimagebuild); repeat for more. (Default: autopkgtest and sbuild)' }),
  release: Flags.option({ options: RELEASES })({ summary: 'Debian release of the image. (Default: trixie)' }),
  arch: Flags.option({ options: ARCHITECTURES })({ summary: 'Architecture of the image. (Default: amd64)' }),
  target: Flags.option({ options: TARGETS })({ summary: 'Where the image is published. (Default: local)' }),
  'worker-source': Flags.option({ options: WORKER_SOURCES })({ summary: 'Where debusine-worker comes from: release, backports or the --source. (Default: release on trixie, backports on bookworm)' }),
  pin: Flags.string({ helpValue: 'SELECTOR', summary: 'APT release selector (o=Debusine) that pins src:debusine of the --source to 900; needs --worker-source source. (Default: no pin)' }),
  'api-url': Flags.string({ helpValue: 'URL', summary: 'Bake this server API URL into config.ini; otherwise the boot user data carries it. (Default: not baked)' }),
};

type PlanFlags = Interfaces.InferredFlags<typeof planFlags>;

/** Build options from the flags; the --source file is read here. Unset flags take the plan's defaults. */
export async function optionsFromFlags(flags: PlanFlags): Promise<BuildOptionsInput> {
  let source: string | undefined;
  if (flags.source !== undefined) {
    try {
      source = await readFile(flags.source, 'utf8');
    } catch (error) {
      throw ValidationError.single('image build options', '--source', `cannot read ${flags.source} (${(error as NodeJS.ErrnoException).code}); give a deb822 .sources file`);
    }
  }
  const options: BuildOptionsInput = {
    ...(source !== undefined ? { source } : {}),
    ...(flags.backend ? { enable_backends: flags.backend } : {}),
    ...(flags.task ? { enable_tasks: flags.task } : {}),
    ...(flags.release ? { release: flags.release } : {}),
    ...(flags.arch ? { architecture: flags.arch } : {}),
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags['worker-source'] ? { worker_source: flags['worker-source'] } : {}),
    ...(flags.pin ? { pin: flags.pin } : {}),
    ...(flags['api-url'] ? { api_url: flags['api-url'] } : {}),
  };
  return options;
}

/** The plan, readably: packages with reasons, files, services, what the booted worker must report, warnings. */
export function renderPlan(buildPlan: BuildPlan): string {
  const sections = [
    `Plan ${planDigest(buildPlan)}: debusine-worker on ${buildPlan.release} ${buildPlan.architecture}, target ${buildPlan.target}`,
    `Backends: ${buildPlan.options.enable_backends.join(', ')}. Tasks: ${buildPlan.options.enable_tasks.join(', ')}.`,
    '',
    'Packages (installed without recommends):',
    renderTable(['Package', 'Suite', 'Needed by', 'Reason'], buildPlan.packages.map((p) => [p.name, p.suite ?? buildPlan.release, p.needed_by.join(', '), p.reason]), '  none'),
    '',
    'APT sources and pins:',
    renderTable(['File', 'Reason'], [...buildPlan.apt.sources, ...buildPlan.apt.preferences].map((f) => [f.path, f.reason]), '  none'),
    '',
    'Files:',
    renderTable(['Path', 'Mode', 'Owner', 'Reason'], buildPlan.files.map((f) => [f.path, f.mode, f.owner, f.reason]), '  none'),
    '',
    'Groups and services:',
    ...buildPlan.users.flatMap((u) => u.groups.map((g) => `  ${u.user} joins ${g.group}: ${g.reason}`)),
    ...buildPlan.services.map((s) => `  enable ${s.unit}: ${s.reason}`),
    '',
    'Removed before the image is taken:',
    ...buildPlan.cleanup.map((c) => `  ${c.action} ${(c.paths ?? c.argv ?? []).join(' ')}${c.when === 'build-instance' ? ' (build instance only)' : ''}`),
    '',
    'The booted worker must report:',
    ...Object.entries(buildPlan.expect.metadata).map(([key, value]) => `  ${key}: ${value}`),
    'and pass:',
    ...buildPlan.expect.checks.map((c) => `  ${c.name}: ${c.command}`),
    '',
    `Publish (${buildPlan.target}):`,
    ...buildPlan.publish.map((s, i) => `  ${i + 1}. ${s.step}: ${s.description}`),
    '',
    buildPlan.warnings.length ? `Warnings:\n${buildPlan.warnings.map((w) => `  ${w.code}: ${w.message}`).join('\n')}` : 'Warnings: none',
  ];
  return sections.join('\n');
}

export default class ImagePlan extends BuildfleetCommand {
  static override summary = 'Show what a debusine-worker image would contain and how it would be published, without building it.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --backend unshare --backend incus-lxc --target hetzner',
    '<%= config.bin %> <%= command.id %> --release bookworm --task sbuild --task mmdebstrap --json',
    '<%= config.bin %> <%= command.id %> --source debusine-daily.sources --worker-source source --pin o=Debusine',
  ];
  static override flags = planFlags;

  async run(): Promise<ImagePlanResult> {
    const { flags } = await this.parse(ImagePlan);
    const buildPlan = plan(await optionsFromFlags(flags));
    if (!this.jsonEnabled()) this.log(renderPlan(buildPlan));
    return { digest: planDigest(buildPlan), plan: buildPlan };
  }
}
