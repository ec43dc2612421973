/**
 * Terms:
 * - demand group: pending work requests of one scope and one requirement set that no connected
 *   worker can take now (the scheduler's `UnmetDemand`), with the pools able to serve it.
 * - pool: a worker pool; it launches instances through its provider account's driver.
 * - instance: the cloud machine behind a pool worker row. A row is **live** while its
 *   `instance_created_at` is set: booting (never connected), connected, or disconnected.
 *   A live row without an instance id is a launch in flight (or one a crash interrupted).
 * - idle time: now − max(instance start, last work completed on that instance).
 * - tick: one provisioning round: lock, reconcile, snapshot, plan, record, act.
 * - decision: what a tick chose (launch, terminate, hold, error, reconcile) and its reason.
 * - backoff: after failed launches a pool is skipped until `backoff_until`; others take its demand.
 */
import { type CreateDriverOptions, type CloudDriver, type LaunchProgress, type RetryOptions } from '@buildfleet/cloud-drivers';
import { type ScopeWorkerPoolLimits, type WorkerPoolLimits, type WorkerPoolSpecification } from '@buildfleet/models';
import { type Decision } from './decisions';
import { type Reason } from './reasons';

/** Seconds a task is expected to take when no completed run of its requirement set is known. (600) */
export const DEFAULT_TASK_SECONDS = 600;
/** How long pending work may wait when the scope's link to the pool sets no `target_latency_seconds`. (1800) */
export const DEFAULT_TARGET_LATENCY_SECONDS = 1800;
/** The window of a pool's recent demand (`PoolState.recentStarts`): long enough to smooth single arrivals, short enough to follow the day's curve. (1800) */
export const RECENT_STARTS_SECONDS = 1800;

export interface DemandGroup {
  scope: string;
  requirementSetId: string;
  /** The requirement set's key, e.g. `arch:amd64 task:sbuild worker-type:external`. */
  requirementSet: string;
  pending: number;
  /** Highest effective priority among the requests: groups are planned highest first. */
  maxPriority: number;
  oldestCreatedAt: Date;
  /** Pools able to run this work for this scope, preferred first (linked by priority, then instance-wide). */
  pools: string[];
}

export interface InstanceState {
  worker: string;
  /** Null while a launch is in flight, or when a crash came between launch and save. */
  instanceId: string | null;
  instanceCreatedAt: Date;
  connectedAt: Date | null;
  /** The image it was launched from; null when not recorded. */
  image: string | null;
  /** The outdated instance (its worker) this one was launched to replace, if any. */
  replaces: string | null;
  /** Pending or running work requests assigned to this worker. */
  activeRequests: number;
  /** Work requests completed on this instance (since `instanceCreatedAt`). */
  completedRequests: number;
  lastCompletedAt: Date | null;
  /** Since when it drains (takes no new work, ends once idle), null when it does not. (Default: null) */
  drainingSince?: Date | null;
  /** Why it drains (the reason of the decision that drained it), null when it does not. (Default: null) */
  drainingReason?: string | null;
}

export interface PoolHealth {
  consecutiveFailures: number;
  backoffUntil: Date | null;
  lastErrorKind: string | null;
}

export interface PoolState {
  name: string;
  enabled: boolean;
  ephemeral: boolean;
  /** The image its launches use (`poolImage`); null when it names none. */
  image: string | null;
  limits: WorkerPoolLimits;
  /** Limits of each scope linked to this pool, by scope name. */
  scopeLimits: Record<string, ScopeWorkerPoolLimits>;
  health: PoolHealth;
  /** Instance seconds this calendar month (UTC), live instances included. */
  usedSeconds: number;
  /** Task seconds this month per scope, running work included. */
  scopeUsedSeconds: Record<string, number>;
  /** Live instances only. */
  instances: InstanceState[];
  /**
   * The billing period its provider charges in full once started (`billingPeriodSeconds`):
   * 3600 for Hetzner's hourly billing, null for per-second billing. (Default: null)
   */
  billingPeriodSeconds?: number | null;
  /**
   * Work requests that started on the pool's instances in the last `RECENT_STARTS_SECONDS`,
   * still running or not: the pool's recent demand. (Default: 0)
   */
  recentStarts?: number;
}

/** Everything `plan` decides over; read in one consistent snapshot by the tick. */
export interface PlanningSnapshot {
  demand: DemandGroup[];
  pools: PoolState[];
  /** Median seconds of a completed run, by requirement set id. */
  medianTaskSeconds: Record<string, number>;
}

export interface PlanOptions {
  /** (Default: DEFAULT_TASK_SECONDS) */
  defaultTaskSeconds?: number;
  /** (Default: DEFAULT_TARGET_LATENCY_SECONDS) */
  defaultTargetLatencySeconds?: number;
  /**
   * An idle instance of an hourly-billed pool is terminated only in the last this-many seconds
   * of its paid hour; at least one tick interval, so a tick falls inside. (Default: 120)
   */
  reapMarginSeconds?: number;
}

/**
 * Seconds a provider bills in full once started: Hetzner bills every started hour; EC2 (Linux)
 * bills per second, and the dummy provider nothing.
 */
export function billingPeriodSeconds(providerType: 'aws' | 'hetzner' | 'dummy'): number | null {
  return providerType === 'hetzner' ? 3600 : null;
}

export interface PlannedLaunch {
  pool: string;
  count: number;
  /** Outdated instances (workers) the first of these launches replace, one each. (Default: none) */
  replacing?: string[];
}

/**
 * A worker to start draining (`reason` set: dispatch gives it no new work and it ends once idle)
 * or to stop draining (`reason` null).
 */
export interface PlannedDrain {
  pool: string;
  worker: string;
  reason: Reason | null;
}

export interface PlannedTermination {
  pool: string;
  worker: string;
  instanceId: string;
}

/** What `plan` returns: data only. The tick records `decisions` and acts on the rest. */
export interface Plan {
  decisions: Decision[];
  /** One entry per pool, in the order pools were first chosen. */
  launches: PlannedLaunch[];
  terminations: PlannedTermination[];
  /** Workers whose draining starts or stops, applied before the terminations. */
  drains: PlannedDrain[];
}

/** A pool as drivers need it: the tick reads the account's credentials only to build its driver. */
export interface PoolForDriver {
  name: string;
  accountId: string;
  accountName: string;
  providerType: 'aws' | 'hetzner' | 'dummy';
  configuration: Record<string, unknown>;
  specifications: WorkerPoolSpecification;
}

export interface BootstrapOptions {
  /** The server's API URL workers register with, e.g. `https://debusine.example.net/api`. */
  apiUrl: string;
  /** Lifetime of each launch's activation token, long enough for a slow boot. (Default: 3600) */
  activationTokenLifetimeSeconds?: number;
  /**
   * The deb822 source of `daily-builds` pools, with its key inline in `Signed-By`. Required
   * only by pools whose `debusine_install_source` is `daily-builds`. (Default: none)
   */
  dailyBuildsSource?: string;
}

/** Something that happened while a tick ran, for progress output. Never carries a secret. */
export type TickEvent =
  | { type: 'skipped'; message: string }
  | { type: 'decision'; decision: Decision }
  | { type: 'launch'; pool: string; progress: LaunchProgress }
  | { type: 'terminated'; pool: string; worker: string };

export interface TickOptions {
  /** What launched workers are told at boot; required unless `dryRun`. */
  bootstrap?: BootstrapOptions;
  /** Plan and print only: no lock, no records, no cloud calls besides listing. (Default: false) */
  dryRun?: boolean;
  /** (Default: the installation id stored by migration 0004) */
  installationId?: string;
  /** (Default: () => new Date()) */
  now?: () => Date;
  plan?: PlanOptions;
  /** Launch requests in flight at once per pool. (Default: 25) */
  launchParallelism?: number;
  /** Pools launching or terminating at the same time. (Default: 8) */
  poolParallelism?: number;
  /** Retries of rate-limited and transient provider failures inside each driver call. (Default: the drivers') */
  retry?: RetryOptions;
  /** Pool backoff after the first failed launch; doubles per further failure. (Default: 60) */
  backoffBaseSeconds?: number;
  /** (Default: 3600) */
  backoffMaxSeconds?: number;
  /**
   * How long a row may be live without an instance at the provider before reconciliation stops
   * it (launch lost, instance vanished); covers providers whose listings lag. (Default: 300)
   */
  launchGraceSeconds?: number;
  /** An identical hold is recorded again only after this long. (Default: 600) */
  holdDedupeSeconds?: number;
  /** Builds a pool's driver. (Default: `createDriver` with the account's credentials) */
  driverFor?: (pool: PoolForDriver, credentials: unknown) => CloudDriver;
  /** Passed to `createDriver`. (Default: dummy pools launch into the database's pretend cloud, `DatabaseDummyCloud`) */
  driverOptions?: CreateDriverOptions;
  onEvent?: (event: TickEvent) => void;
}

export interface TickResult {
  /** False when another process held the provisioning lock, or for a dry run. */
  ran: boolean;
  tickId: string;
  decisions: Decision[];
  launched: { pool: string; worker: string; instanceId: string }[];
  terminated: { pool: string; worker: string }[];
}
