/**
 * @buildfleet/image-builder: the pure core of building pre-built debusine-worker images.
 *
 * `plan(options)` turns the blueprint's options (source, enable_backends, enable_tasks, ...) into
 * a BuildPlan: data only, deterministic, digestible with `planDigest`. Renderers turn one plan
 * into a debefivm-create command line (local build) or a provisioning script inside cloud-init
 * user data (build on an AWS or Hetzner instance); `renderBootUserData` is what a launched
 * instance of the finished image needs. Runners do the I/O: `buildLocal` (debefivm-create and
 * qemu-img), `buildOnAws` and `buildOnHetzner` (build on a provider instance, then snapshot); each
 * writes a manifest, and `listImages`/`pruneImages` find and delete old images by their labels,
 * never one that a pool names or a live instance runs.
 */
export * from './types';
export { nftablesConf, workerConfigIni } from './files';
export {
  buildOptionsSchema,
  resolveOptions,
  BACKENDS,
  PROVISIONED_TASKS,
  RELEASES,
  ARCHITECTURES,
  WORKER_SOURCES,
  TARGETS,
  DEFAULT_INCUS_BRIDGE_IPV4,
  type Backend,
  type ProvisionedTask,
  type Release,
  type Architecture,
  type WorkerSource,
  type Target,
  type BuildOptions,
  type BuildOptionsInput,
} from './options';
export { parseSource, type AptSource, type SourceStanza, type SignedBy } from './deb822';
export { checkSourceKeys, type EmbeddedKeyReport, type CheckSourceKeysOptions } from './keys';
export { plan, planDigest, canonicalJson } from './plan';
export { renderProvisionScript, renderBuildUserData, shellQuote } from './render/script';
export { renderMmdebstrap, type MmdebstrapCommand, type StagedFile } from './render/mmdebstrap';
export { renderBootUserData, type BootUserDataInput } from './render/boot';
export { renderPlanMarkdown } from './render/markdown';
export { DEBIAN_AMI_OWNER, IMAGE_KIND, IMAGE_LABELS, imageBaseName } from './publish';
export {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  imageIdFromManifest,
  imageIdFromManifestFile,
  readManifest,
  type BuildManifest,
  type ManifestImage,
} from './manifest';
export { BuildTimeoutError, type ProgressEvent, type RunnerOptions } from './runners/common';
export type { BuildResult } from './runners/result';
export { buildLocal, localBuildCommands, parsePackageList, MIN_DEBVM_VERSION, type LocalBuildOptions, type LocalCommands } from './runners/local';
export { buildOnAws, type AwsAccess, type AwsBuildOptions } from './runners/aws';
export { buildOnHetzner, type HetznerAccess, type HetznerBuildOptions } from './runners/hetzner';
export { imageLabels, selectImagesToPrune, type KeptImage, type PublishedImage, type PruneSelection } from './runners/labels';
export { listImages, pruneImages, type ImageAccount, type PruneOptions, type PruneResult } from './runners/images';
export { resolveImageAccount } from './accounts';
