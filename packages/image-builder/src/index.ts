/**
 * @buildfleet/image-builder: the pure core of building pre-built debusine-worker images.
 *
 * `plan(options)` turns the blueprint's options (source, enable_backends, enable_tasks, ...) into
 * a BuildPlan: data only, deterministic, digestible with `planDigest`. Renderers turn one plan
 * into a debefivm-create command line (local build) or a provisioning script inside cloud-init
 * user data (build on an AWS or Hetzner instance); `renderBootUserData` is what a launched
 * instance of the finished image needs. Runners (the I/O) are not part of this package yet.
 */
export * from './types';
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
