import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '@buildfleet/models';
import { z } from 'zod';
import { type BuildOptions, TARGETS, type Target } from './options';
import { planDigest } from './plan';
import type { BuildPlan } from './types';

export const MANIFEST_FORMAT = 'buildfleet-image-manifest/1';
export const MANIFEST_FILE = 'manifest.json';

/** One built image of a manifest. */
export interface ManifestImage {
  /**
   * What a pool names: the AMI id (`launch_templates[].ImageId`), the Hetzner snapshot id as a
   * string (`image_name`), or the qcow2 path of a local build.
   */
  id: string;
  /** AMI name, Hetzner snapshot description, or file name. */
  name: string;
  plan_digest: string;
  /** When the image was ready (ISO 8601). */
  built_at: string;
  build_seconds: number;
  /** Installed package versions, when the runner could read them (local builds). */
  packages?: Record<string, string>;
  /** AWS region. */
  region?: string;
  /** Hetzner location the build server ran in (snapshots are global). */
  location?: string;
  /** The stock image the build started from (AWS AMI id, Hetzner image name). */
  base_image?: string;
  /** Local build outputs. */
  files?: { raw: string; qcow2: string };
}

/**
 * What `image build` writes to `<output>/manifest.json`. Builds of the same options for other
 * targets into the same directory add their image to `images`; other options start a new manifest.
 */
export interface BuildManifest {
  format: typeof MANIFEST_FORMAT;
  /** The build options without `target`, shared by every image in the manifest. */
  options: Omit<BuildOptions, 'target'>;
  images: Partial<Record<Target, ManifestImage>>;
}

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  options: z.record(z.string(), z.unknown()),
  images: z.partialRecord(z.enum(TARGETS), z.object({ id: z.string().min(1) }).loose()),
});

export function optionsWithoutTarget(options: BuildOptions): Omit<BuildOptions, 'target'> {
  const { target: _target, ...rest } = options;
  return rest;
}

/**
 * Adds `image` for the plan's target to the manifest in `outputDir` (or starts one), written
 * atomically. Returns the manifest and its path.
 */
export async function recordImage(outputDir: string, buildPlan: BuildPlan, image: Omit<ManifestImage, 'plan_digest'>): Promise<{ manifest: BuildManifest; path: string }> {
  const path = join(outputDir, MANIFEST_FILE);
  const options = optionsWithoutTarget(buildPlan.options);
  let manifest: BuildManifest = { format: MANIFEST_FORMAT, options, images: {} };
  try {
    const existing = parseManifest(JSON.parse(await readFile(path, 'utf8')), path);
    if (JSON.stringify(existing.options) === JSON.stringify(options)) manifest = existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  manifest.images[buildPlan.target] = { ...image, plan_digest: planDigest(buildPlan) };
  await mkdir(outputDir, { recursive: true });
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return { manifest, path };
}

export async function readManifest(path: string): Promise<BuildManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError('manifest', [{ field: 'manifest', message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code}); give the manifest.json that \`image build\` wrote` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ValidationError('manifest', [{ field: 'manifest', message: `${path} is not JSON; give the manifest.json that \`image build\` wrote` }]);
  }
  return parseManifest(json, path);
}

function parseManifest(json: unknown, path: string): BuildManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError('manifest', [{ field: 'manifest', message: `${path} is not a ${MANIFEST_FORMAT} manifest (${parsed.error.issues[0]?.message}); give the manifest.json that \`image build\` wrote` }]);
  }
  return json as BuildManifest;
}

/**
 * The image id a pool should use for `target`: for Hetzner the snapshot id, which goes into the
 * pool specification's `image_name`; for AWS the AMI id, for `launch_templates[].ImageId`.
 */
export function imageIdFromManifest(manifest: BuildManifest, target: Target): string {
  const image = manifest.images[target];
  if (!image) {
    const built = Object.keys(manifest.images);
    throw new ValidationError('manifest', [
      { field: 'target', message: `the manifest has no ${target} image (it has: ${built.length ? built.join(', ') : 'none'}); build one with \`buildfleet image build --target ${target}\`` },
    ]);
  }
  return image.id;
}

/** `readManifest` then `imageIdFromManifest`. */
export async function imageIdFromManifestFile(path: string, target: Target): Promise<string> {
  return imageIdFromManifest(await readManifest(path), target);
}
