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

export interface PruneSelection {
  keep: PublishedImage[];
  prune: PublishedImage[];
}

/**
 * Keeps the newest `keep` images of each release and architecture (so a fresh amd64 image never
 * pushes out the only arm64 one) and selects the rest. Images still being created are always
 * kept. Pure.
 */
export function selectImagesToPrune(images: PublishedImage[], keep: number): PruneSelection {
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a whole number ≥ 0, not ${keep}`);
  const groups = new Map<string, PublishedImage[]>();
  for (const image of images) {
    const key = `${image.labels[IMAGE_LABELS.release] ?? '?'}/${image.labels[IMAGE_LABELS.architecture] ?? '?'}`;
    groups.set(key, [...(groups.get(key) ?? []), image]);
  }
  const selection: PruneSelection = { keep: [], prune: [] };
  for (const group of groups.values()) {
    const ready = group.filter((i) => i.state === 'available').sort(newestFirst);
    selection.keep.push(...ready.slice(0, keep), ...group.filter((i) => i.state !== 'available'));
    selection.prune.push(...ready.slice(keep));
  }
  selection.keep.sort(newestFirst);
  selection.prune.sort(newestFirst);
  return selection;
}

function newestFirst(a: PublishedImage, b: PublishedImage): number {
  return b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
}
