import { type InstanceSpec, type InstanceState, type ProviderInstance } from './driver';
import { ProviderError } from './errors';

/** The labels (Hetzner) or tags (EC2) that mark an instance as buildfleet's. */
export const OWNERSHIP_LABELS = {
  managedBy: 'managed-by',
  installation: 'buildfleet-installation',
  pool: 'buildfleet-pool',
  worker: 'buildfleet-worker',
} as const;

export const MANAGED_BY = 'buildfleet';

/** States in which an existing instance stands for its worker, so launch adopts it. */
export const ADOPTABLE_STATES: ReadonlySet<InstanceState> = new Set(['creating', 'running', 'stopping', 'stopped']);

/**
 * The spec's own labels with the ownership labels on top: a spec cannot claim another
 * installation, pool or worker.
 */
export function ownershipLabels(installationId: string, spec: InstanceSpec): Record<string, string> {
  return {
    ...spec.labels,
    [OWNERSHIP_LABELS.managedBy]: MANAGED_BY,
    [OWNERSHIP_LABELS.installation]: installationId,
    [OWNERSHIP_LABELS.pool]: spec.poolName,
    [OWNERSHIP_LABELS.worker]: spec.workerName,
  };
}

/** True if the labels say this installation owns the instance. */
export function isOwnedBy(installationId: string, labels: Record<string, string>): boolean {
  return (
    labels[OWNERSHIP_LABELS.managedBy] === MANAGED_BY && labels[OWNERSHIP_LABELS.installation] === installationId
  );
}

export function instanceFromLabels(
  instanceId: string,
  state: InstanceState,
  labels: Record<string, string>,
  createdAt?: Date,
): ProviderInstance {
  const instance: ProviderInstance = { instanceId, state, labels };
  const workerName = labels[OWNERSHIP_LABELS.worker];
  const poolName = labels[OWNERSHIP_LABELS.pool];
  if (workerName !== undefined) instance.workerName = workerName;
  if (poolName !== undefined) instance.poolName = poolName;
  if (createdAt !== undefined) instance.createdAt = createdAt;
  return instance;
}

/**
 * Hetzner's label value syntax, the stricter of the two clouds: up to 63 characters, letters,
 * digits, `-`, `_` and `.`, starting and ending with a letter or digit.
 */
const LABEL_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** Rejects an installation id that cannot be a label value on every provider. */
export function checkInstallationId(installationId: string): void {
  if (!LABEL_VALUE.test(installationId)) {
    throw new ProviderError(
      'invalid',
      `installationId "${installationId}" cannot be a label value: use 1-63 letters, digits, ".", "-" or "_", ` +
        'starting and ending with a letter or digit',
    );
  }
}

/** Rejects a spec whose worker or pool name cannot be a label value. */
export function checkSpecNames(spec: InstanceSpec): ProviderError | undefined {
  for (const [field, value] of [
    ['workerName', spec.workerName],
    ['poolName', spec.poolName],
  ] as const) {
    if (!LABEL_VALUE.test(value)) {
      return new ProviderError(
        'invalid',
        `${field} "${value}" cannot be a label value: use 1-63 letters, digits, ".", "-" or "_", ` +
          'starting and ending with a letter or digit',
      );
    }
  }
  return undefined;
}
