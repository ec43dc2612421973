/**
 * Every reason the provisioner gives for a decision. Stable names: they are stored in
 * `provisioning_decisions.reason`, shown by `decisions list` and the status UI, and code
 * branches on them, never on a message's text.
 */
export const Reason = {
  /** Launch: pending work that no live instance can take (one instance is enough for its latency target). */
  LaunchForDemand: 'LaunchForDemand',
  /** Launch: the queued work would take longer than the scope's latency target on fewer instances. */
  LaunchForLatency: 'LaunchForLatency',
  /** Launch requested by an admin (`pool launch`). */
  ManualLaunch: 'ManualLaunch',
  /**
   * Launch, drain or terminate: the pool names another image than an instance was launched
   * from; one with the pool's image is launched in its place, and once it has connected the
   * outdated instance drains if busy and is terminated when idle.
   */
  ImageOutdated: 'ImageOutdated',

  /** Hold: the pool has `max_active_instances` live instances (booting ones included). */
  PoolAtInstanceLimit: 'PoolAtInstanceLimit',
  /** Hold: the pool used its `target_max_seconds_per_month`. */
  PoolBudgetExhausted: 'PoolBudgetExhausted',
  /** Hold: the scope used its `target_max_seconds_per_month` in this pool. */
  ScopeBudgetExhausted: 'ScopeBudgetExhausted',
  /** Hold: the pool is disabled. */
  PoolDisabled: 'PoolDisabled',
  /** Hold: the pool's last launches failed; it waits until its backoff ends. */
  PoolBackingOff: 'PoolBackingOff',
  /** Hold: no pool can run this requirement set for this scope. */
  NoCompatiblePool: 'NoCompatiblePool',
  /** Hold: instances still booting in the pool will take this work. */
  CoveredByBooting: 'CoveredByBooting',
  /** Hold: launches of the pool's new image fail; its outdated instances are kept, not replaced. */
  ImageLaunchFailing: 'ImageLaunchFailing',
  /**
   * Hold: idle instances of a per-second-billed pool past `max_idle_seconds` are kept, not
   * terminated, because the work that started in the pool lately would need them again soon.
   */
  KeptForRecentDemand: 'KeptForRecentDemand',

  /** Terminate: the instance has had no work for longer than the pool's `max_idle_seconds`. */
  IdleTooLong: 'IdleTooLong',
  /** Terminate: an ephemeral pool's instance finished its one work request. */
  EphemeralDone: 'EphemeralDone',
  /** Terminate requested by an admin (`pool terminate`). */
  ManualTerminate: 'ManualTerminate',

  /**
   * Drain or terminate: the pool used its `target_max_seconds_per_month`; its busy instances
   * finish their work and get no more (draining), its idle ones are terminated.
   */
  DrainOverBudget: 'DrainOverBudget',
  /** Drain: the pool's budget allows work again (a new month, a raised limit); the worker takes work again. */
  DrainLifted: 'DrainLifted',

  /** Image: an admin set the pool's image (`pool update --image`, or a specification naming another). */
  ImageSetByAdmin: 'ImageSetByAdmin',
  /** Image: `image build --pool` moved the pool to the image it built. */
  ImageBuilt: 'ImageBuilt',

  /** Reconcile: the provider runs an instance of ours that no worker row claims; it is terminated. */
  OrphanInstance: 'OrphanInstance',
  /** Reconcile: a worker row's instance is gone at the provider; the row is stopped, its work requeued. */
  VanishedInstance: 'VanishedInstance',
  /** Reconcile: an instance launched but not saved (a crash in between) is adopted by its worker row. */
  AdoptedInstance: 'AdoptedInstance',
  /** Reconcile: a launch was claimed but never reached the provider; the row is stopped. */
  LaunchLost: 'LaunchLost',

  /** Error: the provider refused or failed launches in this pool. */
  LaunchFailed: 'LaunchFailed',
  /** Error: terminating an instance failed; the next tick tries again. */
  TerminateFailed: 'TerminateFailed',
  /** Error: listing a provider account's instances failed; its pools are not reconciled this tick. */
  ListFailed: 'ListFailed',
  /** Error: the pool's account or specification cannot make a driver. */
  PoolMisconfigured: 'PoolMisconfigured',
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];

export const REASONS: readonly Reason[] = Object.values(Reason);
