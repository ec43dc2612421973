/**
 * @buildfleet/image-builder: the pure core of building pre-built debusine-worker images.
 */
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
