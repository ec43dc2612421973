import { type ImagesInUse } from '@buildfleet/models';
import { planDigest } from '../plan';
import { IMAGE_LABELS, ownershipLabels } from '../publish';
import type { BuildPlan } from '../types';

/** The plan's ownership labels plus the plan digest: on the build instance, the image and its snapshots. */
export function imageLabels(buildPlan: BuildPlan): Record<string, string> {
  return { ...ownershipLabels(buildPlan.options), [IMAGE_LABELS.plan]: planDigest(buildPlan).slice(0, 32) };
}

/** An image a provider holds for buildfleet, as `listImages` reports it. */
export interface PublishedImage {
  /** AMI id, or the Hetzner snapshot id as a string. */
  id: string;
  name: string;
  /** ISO 8601. */
  createdAt: string;
  /** Provider state: `available`, `pending`, `creating`, ... */
  state: string;
  labels: Record<string, string>;
}

/** An image prune keeps, with every reason it is kept (`in use by pool hetzner-cx32`, `running on 3 instances`, `newest 2`). */
export type KeptImage = PublishedImage & { keptBecause: string[] };

export interface PruneSelection {
  keep: KeptImage[];
  prune: PublishedImage[];
}

/**
 * Keeps the newest `keep` images of each release and architecture (so a fresh amd64 image never
 * pushes out the only arm64 one), every image a pool names or a live instance was launched from
 * (`inUse`), whatever its age, and images still being created; selects the rest. Pure.
 */
export function selectImagesToPrune(images: PublishedImage[], keep: number, inUse: ImagesInUse): PruneSelection {
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a whole number ≥ 0, not ${keep}`);
  const groups = new Map<string, PublishedImage[]>();
  for (const image of images) {
    const key = `${image.labels[IMAGE_LABELS.release] ?? '?'}/${image.labels[IMAGE_LABELS.architecture] ?? '?'}`;
    groups.set(key, [...(groups.get(key) ?? []), image]);
  }
  const selection: PruneSelection = { keep: [], prune: [] };
  for (const group of groups.values()) {
    const ready = group.filter((i) => i.state === 'available').sort(newestFirst);
    ready.forEach((image, index) => {
      const instances = inUse.instances[image.id] ?? 0;
      const keptBecause = [
        ...(inUse.pools[image.id] ?? []).map((pool) => `in use by pool ${pool}`),
        ...(instances ? [`running on ${instances} instance${instances === 1 ? '' : 's'}`] : []),
        ...(index < keep ? [`newest ${keep}`] : []),
      ];
      if (keptBecause.length) selection.keep.push({ ...image, keptBecause });
      else selection.prune.push(image);
    });
    selection.keep.push(...group.filter((i) => i.state !== 'available').map((i) => ({ ...i, keptBecause: [`being created (${i.state})`] })));
  }
  selection.keep.sort(newestFirst);
  selection.prune.sort(newestFirst);
  return selection;
}

function newestFirst(a: PublishedImage, b: PublishedImage): number {
  return b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
}
