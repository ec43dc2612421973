import { z } from 'zod';
import { type WorkerPoolSpecification } from './schemas/specifications';

/** An image id as pools name it: an AMI id, a Hetzner snapshot id or image name. */
export const imageIdSchema = z
  .string()
  .trim()
  .regex(/^\S{1,255}$/, 'give an image id without blanks, e.g. ami-0123456789abcdef0 or a Hetzner snapshot id');

/**
 * The image a pool launches, one field whatever the provider: the `ImageId` of its launch
 * templates (the schema keeps them equal), the Hetzner `image_name` (a snapshot id or a stock
 * image name), or a dummy pool's `image` (null when it names none).
 */
export function poolImage(specifications: WorkerPoolSpecification): string | null {
  switch (specifications.provider_type) {
    case 'aws':
      return specifications.launch_templates[0]?.ImageId ?? null;
    case 'hetzner':
      return specifications.image_name;
    case 'dummy':
      return specifications.image ?? null;
  }
}

/** The specification with `image` in the provider's image field (every launch template's on AWS). */
export function withPoolImage<S extends WorkerPoolSpecification>(specifications: S, image: string): S {
  switch (specifications.provider_type) {
    case 'aws':
      return { ...specifications, launch_templates: specifications.launch_templates.map((t) => ({ ...t, ImageId: image })) };
    case 'hetzner':
      return { ...specifications, image_name: image };
    case 'dummy':
      return { ...specifications, image };
  }
}

/**
 * An instance is outdated when it was launched from another image than its pool's. An
 * instance without a recorded image, or a pool that names none, tells nothing: not outdated.
 */
export function isOutdatedImage(instanceImage: string | null, image: string | null): boolean {
  return instanceImage !== null && image !== null && instanceImage !== image;
}

/** How many live instances, counted by their image, are outdated (`isOutdatedImage`). */
export function outdatedInstances(liveImages: Record<string, number>, image: string | null): number {
  return Object.entries(liveImages).reduce((sum, [id, n]) => (isOutdatedImage(id, image) ? sum + n : sum), 0);
}
