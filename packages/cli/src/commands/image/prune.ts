import { pruneImages, type PruneResult, resolveImageAccount } from '@buildfleet/image-builder';
import { listImagesInUse } from '@buildfleet/models';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';
import { IMAGE_COLUMNS, imageAccountFlags, imageRows } from './list';
import { boundedInteger } from '../../shared/flags';

export type ImagePruneResult = PruneResult;

export default class ImagePrune extends BuildfleetCommand {
  static override summary = 'Delete old debusine-worker images of a provider account, never one a pool names or an instance runs.';
  static override description =
    'Keeps the newest N images of each release and architecture, every image a pool names and every image a live instance was launched from, and images still being created; deletes the rest (AMIs together with their snapshots). Each kept image is listed with why.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --target hetzner --account hetzner-main --keep 2 --dry-run',
    '<%= config.bin %> <%= command.id %> --target aws --account aws-main --keep 3',
  ];
  static override flags = {
    ...imageAccountFlags,
    keep: boundedInteger({ min: 0, max: 1000, summary: 'Images to keep per release and architecture, newest first, besides those in use.' })({ required: true }),
    'dry-run': Flags.boolean({ summary: 'Only show what would be deleted.' }),
  };

  async run(): Promise<ImagePruneResult> {
    const { flags } = await this.parse(ImagePrune);
    const { account, inUse } = await this.withDatabase(async (db) => ({
      account: await resolveImageAccount(db, flags.account, flags.target),
      inUse: await listImagesInUse(db),
    }));
    const result = await pruneImages(account, { keep: flags.keep, dryRun: flags['dry-run'], inUse });
    if (!this.jsonEnabled()) {
      this.log(`${result.dryRun ? 'Would delete' : 'Deleted'} ${result.deleted.length}, kept ${result.kept.length}.`);
      if (result.deleted.length) this.log(`\n${result.dryRun ? 'Would delete' : 'Deleted'}:\n${renderTable(IMAGE_COLUMNS, imageRows(result.deleted), '')}`);
      if (result.kept.length) {
        const rows = imageRows(result.kept).map((row, i) => [...row, result.kept[i]!.keptBecause.join(', ')]);
        this.log(`\nKept:\n${renderTable([...IMAGE_COLUMNS, 'Kept because'], rows, '')}`);
      }
    }
    if (result.failed.length) {
      this.partlyFailed(result, `could not delete ${result.failed.length} image(s), the others were handled: ${result.failed.map((f) => `${f.image.id}: ${f.error}`).join('; ')}`);
    }
    return result;
  }
}
