import { type AwsAccess, deleteAwsImage, listAwsImages } from './aws';
import { deleteHetznerImage, type HetznerAccess, listHetznerImages } from './hetzner';
import { type ImagesInUse } from '@buildfleet/models';
import { type KeptImage, type PublishedImage, selectImagesToPrune } from './labels';

/** A provider account to list or prune images in. */
export type ImageAccount = ({ target: 'aws' } & AwsAccess) | ({ target: 'hetzner' } & HetznerAccess);

/** buildfleet's debusine-worker images in the account (by ownership labels), newest first. */
export async function listImages(account: ImageAccount): Promise<PublishedImage[]> {
  const images = account.target === 'aws' ? await listAwsImages(account) : await listHetznerImages(account);
  return images.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

export interface PruneOptions {
  /** Images to keep per release and architecture, newest first. */
  keep: number;
  /** Only report what would be deleted. (Default: false) */
  dryRun?: boolean;
  /** What pools and live instances use, never deleted (`listImagesInUse`). */
  inUse: ImagesInUse;
}

export interface PruneResult {
  /** Each with why it is kept. */
  kept: KeptImage[];
  /** Deleted, or with `dryRun` the images that would be. */
  deleted: PublishedImage[];
  /** Images whose deletion failed, with why; the others were still deleted. */
  failed: { image: PublishedImage; error: string }[];
  dryRun: boolean;
}

/**
 * Deletes the images `selectImagesToPrune` selects: all but the newest `keep` of each release
 * and architecture, except those pools or live instances use (AMIs with their snapshots,
 * Hetzner snapshots). One failed deletion does not stop the others.
 */
export async function pruneImages(account: ImageAccount, options: PruneOptions): Promise<PruneResult> {
  const { keep, prune } = selectImagesToPrune(await listImages(account), options.keep, options.inUse);
  const dryRun = options.dryRun ?? false;
  const result: PruneResult = { kept: keep, deleted: [], failed: [], dryRun };
  for (const image of prune) {
    if (dryRun) {
      result.deleted.push(image);
      continue;
    }
    try {
      if (account.target === 'aws') await deleteAwsImage(account, image.id);
      else await deleteHetznerImage(account, image.id);
      result.deleted.push(image);
    } catch (error) {
      result.failed.push({ image, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}
