import { buildLocal, buildOnAws, buildOnHetzner, type BuildResult, plan, resolveImageAccount } from '@buildfleet/image-builder';
import { type Database, ValidationError } from '@buildfleet/models';
import { checkPoolsRunImagesOf, type Decision, movePoolsToImage } from '@buildfleet/provisioner';
import { Flags, ux } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { describeFailure } from '../../shared/failure';
import { optionsFromFlags, planFlags } from './plan';
import { boundedInteger } from '../../shared/flags';

export type ImageBuildResult = BuildResult & {
  /** The pools moved to the new image (`--pool`), each with its recorded decision. */
  pools: { pool: string; image: string; decision: Decision | null }[];
};

export default class ImageBuild extends BuildfleetCommand {
  static override summary = 'Build a debusine-worker image: locally (qcow2), or on an AWS or Hetzner instance (AMI or snapshot).';
  static override description = `Writes <output>/manifest.json with the image id, the plan digest and, for local builds, the package versions; a pool names that id (Hetzner image_name, AWS launch_templates[].ImageId). Progress goes to stderr. Ctrl-C deletes what the build created.

local needs root (or subordinate ids), debvm >= 0.4.4, mmdebstrap, qemu-utils, e2fsprogs, dosfstools, mtools and fdisk. aws and hetzner use the --account's credentials, which are never shown.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --target local --output ./images',
    '<%= config.bin %> <%= command.id %> --target hetzner --account hetzner-main --backend unshare --backend incus-lxc',
    '<%= config.bin %> <%= command.id %> --target aws --account aws-main --subnet-id subnet-0123 --json',
  ];
  static override flags = {
    ...planFlags,
    target: Flags.option({ options: ['local', 'aws', 'hetzner'] as const })({ summary: 'Where the image is built and published.', required: true }),
    output: Flags.directory({ summary: 'Directory for the manifest (and a local build\'s disks). (Default: buildfleet-image)', default: 'buildfleet-image' }),
    account: Flags.string({ helpValue: 'NAME', summary: 'The provider account (aws, hetzner) to build with.' }),
    location: Flags.string({ helpValue: 'NAME', summary: 'hetzner: location of the build server. (Default: fsn1)' }),
    'server-type': Flags.string({ helpValue: 'NAME', summary: 'hetzner: server type of the build server. (Default: cx23, or cax11 for arm64)' }),
    'instance-type': Flags.string({ helpValue: 'NAME', summary: 'aws: instance type of the build instance. (Default: t3.medium, or t4g.medium for arm64)' }),
    'subnet-id': Flags.string({ helpValue: 'ID', summary: 'aws: subnet with egress to the Debian mirrors. (Default: the default VPC\'s)' }),
    'poll-seconds': boundedInteger({ min: 1, max: 3600, unit: 'seconds', summary: 'Seconds between status checks of the build instance.', defaultText: '15 on aws, 10 on hetzner' })(),
    pool: Flags.string({
      helpValue: 'NAME',
      multiple: true,
      summary: 'aws, hetzner: once the image is built, move this pool to it (repeat for more; all in one transaction, each with a recorded decision). A failed build changes no pool.',
    }),
  };

  async run(): Promise<ImageBuildResult> {
    const { flags } = await this.parse(ImageBuild);
    const buildPlan = plan(await optionsFromFlags(flags));
    if (flags.target !== 'local' && !flags.account) {
      throw ValidationError.single('image build', '--account', `--target ${flags.target} builds with a provider account: give --account NAME (see \`${this.config.bin} account list\`)`);
    }
    const pools = flags.pool ?? [];
    if (pools.length) await this.withDatabase((db) => checkPools(db, pools, flags.target));
    const started = Date.now();
    const controller = new AbortController();
    const onSignal = () => {
      ux.stderr('Interrupted: deleting what the build created...');
      controller.abort(new Error('interrupted; what the build had created was deleted'));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const common = {
      outputDir: flags.output,
      signal: controller.signal,
      // On stderr also with --json: stdout carries only the result.
      onProgress: ({ step, message }: { step: string; message: string }) =>
        ux.stderr(`[${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s] ${step}: ${message}`),
      ...(flags['poll-seconds'] ? { pollIntervalMs: flags['poll-seconds'] * 1000 } : {}),
    };
    let result: BuildResult;
    try {
      if (flags.target === 'local') {
        result = await buildLocal(buildPlan, common);
      } else if (flags.target === 'aws') {
        const access = await this.withDatabase((db) => resolveImageAccount(db, flags.account!, 'aws'));
        result = await buildOnAws(buildPlan, {
          ...access,
          ...common,
          ...(flags['instance-type'] ? { instanceType: flags['instance-type'] } : {}),
          ...(flags['subnet-id'] ? { subnetId: flags['subnet-id'] } : {}),
        });
      } else {
        const access = await this.withDatabase((db) => resolveImageAccount(db, flags.account!, 'hetzner'));
        result = await buildOnHetzner(buildPlan, {
          ...access,
          ...common,
          ...(flags.location ? { location: flags.location } : {}),
          ...(flags['server-type'] ? { serverType: flags['server-type'] } : {}),
        });
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    const moved = pools.length
      ? await this.withDatabase((db) =>
          movePoolsToImage(db, pools, result.imageId, {
            build: `${result.image.name}, plan ${result.image.plan_digest.slice(0, 12)}`,
            providerType: result.target as 'aws' | 'hetzner',
          }),
        ).catch((error: unknown) =>
          // The image exists: print it as the result, with no pool moved.
          this.partlyFailed(
            { ...result, pools: [] },
            `built ${result.imageId}, but no pool was moved to it: ${describeFailure(error).message}; move them with \`${this.config.bin} pool update NAME --image ${result.imageId}\``,
            describeFailure(error).exitCode,
          ),
        )
      : [];
    if (!this.jsonEnabled()) {
      this.log(`Built ${result.imageId} (${result.image.name}) in ${result.image.build_seconds} s; manifest: ${result.manifestPath}`);
      for (const { pool, decision } of moved) this.log(decision ? decision.message : `Pool ${pool.name} already launches ${result.imageId}.`);
      if (!moved.length && result.target !== 'local') this.log(`Pools use it with: \`${this.config.bin} pool update NAME --image ${result.imageId}\``);
    }
    return { ...result, pools: moved.map(({ pool, decision }) => ({ pool: pool.name, image: result.imageId, decision })) };
  }
}

/** Before building: every --pool exists and runs images of the target's provider. */
async function checkPools(db: Database, pools: string[], target: 'local' | 'aws' | 'hetzner'): Promise<void> {
  if (target === 'local') {
    throw ValidationError.single('image build', '--pool', 'no pool launches a local qcow2 image; build with --target aws or --target hetzner to move pools');
  }
  await checkPoolsRunImagesOf(db, pools, target);
}
