import { pruneImages, type PruneResult, resolveImageAccount } from '@buildfleet/image-builder';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';
import { IMAGE_COLUMNS, imageAccountFlags, imageRows } from './list';

export type ImagePruneResult = PruneResult;

export default class ImagePrune extends BuildfleetCommand {
  static override summary = 'Delete all but the newest N debusine-worker images of each release and architecture in a provider account.';
  static override description = 'AMIs are deregistered together with their snapshots. Images still being created are kept. A pool that names a deleted image can no longer launch: check the pools first, or keep enough.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --target hetzner --account hetzner-main --keep 2 --dry-run',
    '<%= config.bin %> <%= command.id %> --target aws --account aws-main --keep 3',
  ];
  static override flags = {
    ...imageAccountFlags,
    keep: Flags.integer({ min: 0, summary: 'Images to keep per release and architecture, newest first.', required: true }),
    'dry-run': Flags.boolean({ summary: 'Only show what would be deleted.' }),
  };

  async run(): Promise<ImagePruneResult> {
    const { flags } = await this.parse(ImagePrune);
    const account = await this.withDatabase((db) => resolveImageAccount(db, flags.account, flags.target));
    const result = await pruneImages(account, { keep: flags.keep, dryRun: flags['dry-run'] });
    if (!this.jsonEnabled()) {
      this.log(`${result.dryRun ? 'Would delete' : 'Deleted'} ${result.deleted.length}, kept ${result.kept.length}.`);
      if (result.deleted.length) this.log(renderTable(IMAGE_COLUMNS, imageRows(result.deleted), ''));
    }
    if (result.failed.length) {
      this.partlyFailed(result, `could not delete ${result.failed.length} image(s), the others were handled: ${result.failed.map((f) => `${f.image.id}: ${f.error}`).join('; ')}`);
    }
    return result;
  }
}
