import { listImages, type PublishedImage, resolveImageAccount } from '@buildfleet/image-builder';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';

export type ImageListResult = PublishedImage[];

/** The columns of `image list` and `image prune`. */
export function imageRows(images: PublishedImage[]): string[][] {
  return images.map((i) => [i.id, i.name, i.createdAt, i.state, i.labels['buildfleet-release'] ?? '-', i.labels['buildfleet-architecture'] ?? '-']);
}
export const IMAGE_COLUMNS = ['Id', 'Name', 'Created', 'State', 'Release', 'Architecture'];

export const imageAccountFlags = {
  target: Flags.option({ options: ['aws', 'hetzner'] as const })({ summary: 'The provider.', required: true }),
  account: Flags.string({ helpValue: 'NAME', summary: 'The provider account whose images to look at.', required: true }),
};

export default class ImageList extends BuildfleetCommand {
  static override summary = "List buildfleet's debusine-worker images in a provider account (found by their labels), newest first.";
  static override examples = ['<%= config.bin %> <%= command.id %> --target hetzner --account hetzner-main', '<%= config.bin %> <%= command.id %> --target aws --account aws-main --json'];
  static override flags = imageAccountFlags;

  async run(): Promise<ImageListResult> {
    const { flags } = await this.parse(ImageList);
    const account = await this.withDatabase((db) => resolveImageAccount(db, flags.account, flags.target));
    const images = await listImages(account);
    if (!this.jsonEnabled()) {
      this.log(renderTable(IMAGE_COLUMNS, imageRows(images), `No images in ${flags.account}. Build one with \`${this.config.bin} image build --target ${flags.target} --account ${flags.account}\`.`));
    }
    return images;
  }
}
