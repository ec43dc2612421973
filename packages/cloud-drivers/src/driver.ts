/**
 * The contract between buildfleet and a cloud.
 *
 * Terms:
 * - installation: one buildfleet deployment, named by its installation id. Several may share a
 *   cloud account; each sees only the instances labelled with its own id.
 * - instance: one machine at the provider, running one worker.
 * - spec: what to launch for one worker: its name, its pool and its cloud-init user data.
 *
 * A driver holds no policy and no database access. It is told which workers to launch and which
 * instances to terminate; it never decides how many, where to fall back, or when to retry a
 * launch that failed for lack of capacity. Failures are ProviderErrors (see errors.ts); only
 * `rate_limited` and `transient` failures are retried inside a driver call, with `withRetry`.
 */
import { type ProviderError } from './errors';

export interface InstanceSpec {
  /** Worker name; the Hetzner server name and the EC2 `Name` tag. Unique per installation. */
  workerName: string;
  poolName: string;
  /** cloud-init user data as text (`#cloud-config…`). Secret: it carries the activation token. */
  userData: string;
  /** Extra labels (Hetzner) or tags (EC2) for the instance, besides the ownership labels. */
  labels: Record<string, string>;
}

export type InstanceState = 'creating' | 'running' | 'stopping' | 'stopped' | 'deleting' | 'gone';

export interface ProviderInstance {
  /** The provider's id as text: `i-0abc…` on EC2, the server id on Hetzner. */
  instanceId: string;
  /** From the `buildfleet-worker` label; absent if someone removed it. */
  workerName?: string;
  /** From the `buildfleet-pool` label. */
  poolName?: string;
  state: InstanceState;
  createdAt?: Date;
  /** Every label or tag of the instance, ownership labels included. */
  labels: Record<string, string>;
}

/** Reported through `onProgress` while `launch` runs, one event per step and worker. */
export type LaunchProgress =
  /** An owned instance for this worker already existed; it is returned instead of a new one. */
  | { type: 'adopted'; workerName: string; instanceId: string }
  /** The create request is about to be sent. */
  | { type: 'requested'; workerName: string }
  /** A retryable failure; the next try follows after `delayMs`. */
  | { type: 'retrying'; workerName: string; attempt: number; delayMs: number; error: ProviderError }
  | { type: 'launched'; workerName: string; instanceId: string }
  | { type: 'failed'; workerName: string; error: ProviderError };

export interface LaunchOptions {
  /**
   * Stops starting further launches and cuts retry waits short. Requests already sent are
   * awaited (aborting them could leak an instance we never learn the id of); the specs that were
   * never started fail with a retryable `transient` error.
   */
  signal?: AbortSignal;
  onProgress?: (event: LaunchProgress) => void;
}

export interface LaunchedInstance {
  workerName: string;
  instanceId: string;
  /**
   * What the caller stores with the worker (its `worker_pool_data`): always `instance-id`, and
   * `adopted: true` when an existing instance was returned instead of a new one.
   */
  data: Record<string, unknown>;
}

export interface LaunchResult {
  launched: LaunchedInstance[];
  failed: { workerName: string; error: ProviderError }[];
}

export interface CloudDriver {
  readonly providerType: 'aws' | 'hetzner' | 'dummy';

  /**
   * Starts one instance per spec, concurrently up to the driver's parallelism. Partial success
   * is normal: every spec ends up in exactly one of `launched` and `failed`.
   *
   * Idempotent per worker: an instance this installation owns (see `list`) that carries the
   * spec's worker name and is not being deleted is returned (`data.adopted`) instead of creating
   * a second one. That makes it safe to call again after a crash between the provider call and
   * the database write.
   *
   * Never rejects for a provider failure: each failure is a ProviderError in `failed`.
   * `rate_limited` and `transient` failures are retried before they are reported. A spec whose
   * worker name repeats an earlier one in the same call fails with `invalid`.
   */
  launch(specs: InstanceSpec[], opts?: LaunchOptions): Promise<LaunchResult>;

  /**
   * Starts deleting the instance. Idempotent: an instance that is already gone (or never
   * existed) is success. Rejects with a ProviderError otherwise (after retries for
   * `rate_limited` and `transient`).
   */
  terminate(instanceId: string): Promise<void>;

  /**
   * The instances this installation owns: those labelled `buildfleet-installation=<id>`, in
   * every state the provider still reports (recently terminated EC2 instances show as `gone`).
   * Instances of other installations or without the labels are never returned. Rejects with a
   * ProviderError.
   */
  list(): Promise<ProviderInstance[]>;
}
