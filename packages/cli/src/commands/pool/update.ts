import { imageIdFromManifestFile } from '@buildfleet/image-builder';
import { getWorkerPool, ValidationError, type WorkerPoolView } from '@buildfleet/models';
import { type Decision, updatePool } from '@buildfleet/provisioner';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { poolFlags, providerAccount } from '../../shared/flags';
import { poolDetails } from '../../shared/format';
import { poolInputFromFlags } from '../../shared/pool-input';

export type PoolUpdateResult = WorkerPoolView & {
  /** The recorded decision when the pool's image changed; its outdated instances are replaced next. */
  imageDecision: Decision | null;
};

export default class PoolUpdate extends BuildfleetCommand {
  static override summary = 'Change some fields of an existing worker pool.';
  static override description =
    "Only the given flags change; the others keep their values. A new image (--image, --image-from-manifest, or specifications naming another) is recorded as a decision, and the provisioner replaces the pool's running instances with ones of the new image: idle ones first, busy ones once their work is done, at most max_surge at a time.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> aws-amd64 --limits limits.yaml',
    '<%= config.bin %> <%= command.id %> aws-amd64 --tags executor:unshare,memory_gib=16 --no-ephemeral',
    '<%= config.bin %> <%= command.id %> hetzner-cx32 --image 48213377',
    '<%= config.bin %> <%= command.id %> aws-amd64 --image-from-manifest buildfleet-image/manifest.json',
  ];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };
  static override flags = {
    'provider-account': providerAccount(),
    ...poolFlags({ creating: false }),
    image: Flags.string({
      helpValue: 'ID',
      summary: "The image to launch: the AMI id (every launch template's ImageId), or the Hetzner snapshot id or image name.",
      exclusive: ['image-from-manifest'],
    }),
    'image-from-manifest': Flags.file({
      helpValue: 'FILE',
      summary: "The image of the pool's provider in a manifest.json that `image build` wrote.",
      exclusive: ['image'],
    }),
  };

  async run(): Promise<PoolUpdateResult> {
    const { args, flags } = await this.parse(PoolUpdate);
    const patch = await poolInputFromFlags(flags);
    const { pool, decision } = await this.withDatabase(async (db) => {
      let image = flags.image;
      if (flags['image-from-manifest']) {
        const { providerType } = await getWorkerPool(db, args.name);
        if (providerType === 'dummy') {
          throw ValidationError.single('pool update', '--image-from-manifest', 'a dummy pool runs no built image; give --image NAME');
        }
        image = await imageIdFromManifestFile(flags['image-from-manifest'], providerType);
      }
      return updatePool(db, args.name, { ...patch, ...(image !== undefined ? { image } : {}) });
    });
    if (!this.jsonEnabled()) {
      this.log(`Updated worker pool "${pool.name}".${decision ? `\n${decision.message}` : ''}\n\n${poolDetails(pool)}`);
    }
    return { ...pool, imageDecision: decision };
  }
}
