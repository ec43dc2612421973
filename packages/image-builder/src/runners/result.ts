import type { BuildManifest, ManifestImage } from '../manifest';
import type { Target } from '../options';

/** What every runner returns once the image is ready and the manifest written. */
export interface BuildResult {
  target: Target;
  /** The id a pool names (AMI id, Hetzner snapshot id, or the local qcow2 path). */
  imageId: string;
  image: ManifestImage;
  manifest: BuildManifest;
  manifestPath: string;
}
