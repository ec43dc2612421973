import { formatDuration } from '@buildfleet/models';
import { Reason } from './reasons';

export const DECISION_KINDS = ['launch', 'terminate', 'hold', 'error', 'reconcile', 'image', 'drain'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** What the provisioner decided and why; one row of `provisioning_decisions`. */
export interface Decision {
  kind: DecisionKind;
  reason: Reason;
  /** What the decision is about, for humans: `pool aws-spot`, `worker aws-spot-003`, `scope debian`. */
  subject: string;
  pool: string | null;
  scope: string | null;
  /** The requirement set's key, e.g. `arch:amd64 task:sbuild worker-type:external`. */
  requirementSet: string | null;
  /** Instances launched, pending requests held, instances terminated or failed launches. */
  count: number;
  worker: string | null;
  message: string;
}

interface LaunchFacts {
  [Reason.LaunchForDemand]: { pool: string; scope: string; requirementSet: string; count: number; pending: number };
  [Reason.LaunchForLatency]: {
    pool: string;
    scope: string;
    requirementSet: string;
    count: number;
    /** An estimate: pending × taskSeconds, the work queued for one instance. */
    waitSeconds: number;
    targetSeconds: number;
    pending: number;
    taskSeconds: number;
    /** Whether taskSeconds is the median of recent runs or the planner's default (no run known). */
    taskSecondsFrom: 'median' | 'default';
  };
  [Reason.ManualLaunch]: { pool: string; count: number; forced: boolean };
  [Reason.ImageOutdated]: { pool: string; count: number; image: string; replacing: string[] };
}

export interface HoldFacts {
  [Reason.PoolAtInstanceLimit]: { pool: string; live: number; max: number; pending: number };
  [Reason.PoolBudgetExhausted]: { pool: string; usedSeconds: number; targetSeconds: number; pending: number };
  [Reason.ScopeBudgetExhausted]: { pool: string; scope: string; usedSeconds: number; targetSeconds: number; pending: number };
  [Reason.PoolDisabled]: { pool: string; pending: number };
  [Reason.PoolBackingOff]: { pool: string; until: Date; failures: number; lastErrorKind: string | null; pending: number };
  [Reason.NoCompatiblePool]: { scope: string; requirementSet: string; pending: number };
  [Reason.CoveredByBooting]: { pool: string; scope: string; requirementSet: string; booting: number; pending: number };
  /** `pending` holds the outdated instances kept. */
  [Reason.ImageLaunchFailing]: { pool: string; image: string; failures: number; lastErrorKind: string | null; pending: number };
  /** `pending` holds the idle instances kept; `expectedStarts` is `recentStarts` scaled to `maxIdleSeconds`. */
  [Reason.KeptForRecentDemand]: { pool: string; recentStarts: number; windowSeconds: number; expectedStarts: number; maxIdleSeconds: number; pending: number };
}

interface TerminateFacts {
  [Reason.IdleTooLong]: { pool: string; worker: string; idleSeconds: number; maxIdleSeconds: number };
  [Reason.EphemeralDone]: { pool: string; worker: string };
  [Reason.ManualTerminate]: { pool: string; worker: string; forced: boolean };
  /** `atLimit`: the pool is at max_active_instances, so the instance goes before its replacement. */
  [Reason.ImageOutdated]: { pool: string; worker: string; image: string; poolImage: string; atLimit: boolean };
  [Reason.DrainOverBudget]: { pool: string; worker: string; usedSeconds: number; targetSeconds: number };
}

interface DrainFacts {
  [Reason.DrainOverBudget]: { pool: string; worker: string; usedSeconds: number; targetSeconds: number };
  /** `targetSeconds` null: the pool has no budget any more. */
  [Reason.DrainLifted]: { pool: string; worker: string; usedSeconds: number; targetSeconds: number | null };
  [Reason.ImageOutdated]: { pool: string; worker: string; image: string; poolImage: string };
}

interface ImageFacts {
  [Reason.ImageSetByAdmin]: { pool: string; from: string | null; to: string; outdated: number; ephemeral: boolean };
  [Reason.ImageBuilt]: { pool: string; from: string | null; to: string; outdated: number; ephemeral: boolean; build: string };
}

interface ReconcileFacts {
  [Reason.OrphanInstance]: { pool: string | null; instanceId: string; worker: string | null; why: string };
  [Reason.VanishedInstance]: { pool: string; worker: string; instanceId: string; state: string };
  [Reason.AdoptedInstance]: { pool: string; worker: string; instanceId: string };
  [Reason.LaunchLost]: { pool: string; worker: string; claimedSeconds: number };
}

interface ErrorFacts {
  [Reason.LaunchFailed]: { pool: string; count: number; errorKind: string; message: string; backoffUntil: Date | null };
  [Reason.TerminateFailed]: { pool: string; worker: string; errorKind: string; message: string };
  [Reason.ListFailed]: { account: string; pools: string[]; errorKind: string; message: string };
  [Reason.PoolMisconfigured]: { pool: string; message: string };
}

function percent(used: number, target: number): string {
  return target <= 0 ? '100%' : `${Math.floor((used / target) * 100)}%`;
}

const requests = (n: number) => `${n} pending request${n === 1 ? '' : 's'}`;

function decision(kind: DecisionKind, reason: Reason, fields: Partial<Decision> & { subject: string; message: string }): Decision {
  return { kind, reason, pool: null, scope: null, requirementSet: null, count: 0, worker: null, ...fields };
}

export function launch<R extends keyof LaunchFacts>(reason: R, facts: LaunchFacts[R]): Decision {
  const f = facts as LaunchFacts[keyof LaunchFacts];
  const head = `launch ${f.count} in ${f.pool}`;
  let message: string;
  if ('replacing' in f) {
    message = `${head}: image ${f.image}, to replace outdated ${f.replacing.join(', ')}`;
  } else if ('waitSeconds' in f) {
    const each = f.taskSecondsFrom === 'median' ? 'median of recent runs' : 'default, no recent run';
    message =
      `${head}: scope ${f.scope} has ${requests(f.pending)}, an estimated ${formatDuration(f.waitSeconds)} of work for one instance ` +
      `(${formatDuration(f.taskSeconds)} each: ${each}) > target ${formatDuration(f.targetSeconds)}`;
  } else if ('pending' in f) {
    message = `${head}: scope ${f.scope} has ${requests(f.pending)} no live instance can take`;
  } else {
    message = `${head}: requested by an admin${f.forced ? ' (--force: limits not checked)' : ''}`;
  }
  return decision('launch', reason, {
    subject: `pool ${f.pool}`,
    pool: f.pool,
    scope: 'scope' in f ? f.scope : null,
    requirementSet: 'requirementSet' in f ? f.requirementSet : null,
    count: f.count,
    message,
  });
}

/** A hold's reason with the facts its message needs. */
export type HoldInput = { [R in keyof HoldFacts]: { reason: R; facts: HoldFacts[R] } }[keyof HoldFacts];

export function hold<R extends keyof HoldFacts>(reason: R, facts: HoldFacts[R]): Decision {
  const f = facts as HoldFacts[keyof HoldFacts];
  const not = 'pool' in f ? `not launching in ${f.pool}` : '';
  const messages: Record<keyof HoldFacts, () => string> = {
    PoolAtInstanceLimit: () => {
      const g = f as HoldFacts['PoolAtInstanceLimit'];
      return `${not}: ${g.live} live of max_active_instances ${g.max}`;
    },
    PoolBudgetExhausted: () => {
      const g = f as HoldFacts['PoolBudgetExhausted'];
      return `${not}: ${percent(g.usedSeconds, g.targetSeconds)} of target_max_seconds_per_month used`;
    },
    ScopeBudgetExhausted: () => {
      const g = f as HoldFacts['ScopeBudgetExhausted'];
      return `${not} for scope ${g.scope}: ${percent(g.usedSeconds, g.targetSeconds)} of its target_max_seconds_per_month used`;
    },
    PoolDisabled: () => `${not}: the pool is disabled`,
    PoolBackingOff: () => {
      const g = f as HoldFacts['PoolBackingOff'];
      const after = `${g.failures} failed launch attempt${g.failures === 1 ? '' : 's'}${g.lastErrorKind ? ` (${g.lastErrorKind})` : ''}`;
      return `${not}: backing off until ${g.until.toISOString()} after ${after}`;
    },
    NoCompatiblePool: () => {
      const g = f as HoldFacts['NoCompatiblePool'];
      return `no pool can run "${g.requirementSet}" for scope ${g.scope}: ${requests(g.pending)} wait`;
    },
    CoveredByBooting: () => {
      const g = f as HoldFacts['CoveredByBooting'];
      return `${not} for scope ${g.scope}: ${g.booting} booting instance${g.booting === 1 ? '' : 's'} will take the work`;
    },
    ImageLaunchFailing: () => {
      const g = f as HoldFacts['ImageLaunchFailing'];
      const after = `${g.failures} failed launch attempt${g.failures === 1 ? '' : 's'}${g.lastErrorKind ? ` (${g.lastErrorKind})` : ''}`;
      return `not replacing ${g.pending} outdated instance${g.pending === 1 ? '' : 's'} in ${g.pool}: launches of image ${g.image} fail, ${after}; the old ones keep running`;
    },
    KeptForRecentDemand: () => {
      const g = f as HoldFacts['KeptForRecentDemand'];
      return (
        `not terminating ${g.pending} idle instance${g.pending === 1 ? '' : 's'} in ${g.pool} past max_idle_seconds ${formatDuration(g.maxIdleSeconds)}: ` +
        `${g.recentStarts} work request${g.recentStarts === 1 ? '' : 's'} started there in the last ${formatDuration(g.windowSeconds)}, ` +
        `about ${g.expectedStarts} per ${formatDuration(g.maxIdleSeconds)}`
      );
    },
  };
  return decision('hold', reason, {
    subject: 'pool' in f ? `pool ${f.pool}` : `scope ${(f as HoldFacts['NoCompatiblePool']).scope}`,
    pool: 'pool' in f ? f.pool : null,
    scope: 'scope' in f ? f.scope : null,
    requirementSet: 'requirementSet' in f ? f.requirementSet : null,
    count: f.pending,
    message: messages[reason](),
  });
}

export function terminate<R extends keyof TerminateFacts>(reason: R, facts: TerminateFacts[R]): Decision {
  const f = facts as TerminateFacts[keyof TerminateFacts];
  const head = `terminate ${f.worker} in ${f.pool}`;
  const message =
    'idleSeconds' in f
      ? `${head}: idle ${formatDuration(f.idleSeconds)} > max_idle_seconds ${formatDuration(f.maxIdleSeconds)}`
      : 'targetSeconds' in f
        ? `${head}: idle, and ${percent(f.usedSeconds, f.targetSeconds)} of the pool's target_max_seconds_per_month used`
      : 'poolImage' in f
        ? `${head}: launched from image ${f.image}, the pool now launches ${f.poolImage}; ${
            f.atLimit ? 'the pool is at max_active_instances, so it goes before its replacement' : 'its replacement has connected'
          }`
        : 'forced' in f
        ? `${head}: requested by an admin${f.forced ? ' (--force: its work goes back to the queue)' : ''}`
        : `${head}: ephemeral pool, its work request is done`;
  return decision('terminate', reason, { subject: `worker ${f.worker}`, pool: f.pool, worker: f.worker, count: 1, message });
}

/** A worker starts draining (no new work; terminated once idle) or stops draining. */
export function drain<R extends keyof DrainFacts>(reason: R, facts: DrainFacts[R]): Decision {
  const f = facts as DrainFacts[keyof DrainFacts];
  const then = 'it finishes its work, takes no more, and is terminated once idle';
  let message: string;
  if ('poolImage' in f) {
    message = `drain ${f.worker} in ${f.pool}: launched from image ${f.image}, the pool now launches ${f.poolImage} and its replacement has connected; ${then}`;
  } else {
    const used = f.targetSeconds === null ? 'no target_max_seconds_per_month any more' : `${percent(f.usedSeconds, f.targetSeconds)} of target_max_seconds_per_month used`;
    message =
      reason === Reason.DrainOverBudget ? `drain ${f.worker} in ${f.pool}: ${used}; ${then}` : `stop draining ${f.worker} in ${f.pool}: the pool's budget allows work again (${used})`;
  }
  return decision('drain', reason, { subject: `worker ${f.worker}`, pool: f.pool, worker: f.worker, count: 1, message });
}

/** A pool moved to another image: outdated instances are replaced by the planner's rollout. */
export function image<R extends keyof ImageFacts>(reason: R, facts: ImageFacts[R]): Decision {
  const f = facts as ImageFacts[keyof ImageFacts];
  const how = 'build' in f ? `built by image build (${f.build})` : 'set by an admin';
  const then = f.ephemeral
    ? 'ephemeral pool: its next launches use it'
    : f.outdated
      ? `${f.outdated} running instance${f.outdated === 1 ? '' : 's'} will be replaced, idle ones first`
      : 'no running instance to replace';
  return decision('image', reason, {
    subject: `pool ${f.pool}`,
    pool: f.pool,
    count: f.outdated,
    message: `pool ${f.pool} moves from image ${f.from ?? '(none)'} to ${f.to}, ${how}; ${then}`,
  });
}

export function reconcile<R extends keyof ReconcileFacts>(reason: R, facts: ReconcileFacts[R]): Decision {
  const f = facts as ReconcileFacts[keyof ReconcileFacts];
  const messages: Record<keyof ReconcileFacts, () => string> = {
    OrphanInstance: () => {
      const g = f as ReconcileFacts['OrphanInstance'];
      return `terminate instance ${g.instanceId}${g.worker ? ` labelled ${g.worker}` : ''}: ${g.why}`;
    },
    VanishedInstance: () => {
      const g = f as ReconcileFacts['VanishedInstance'];
      return `stop ${g.worker}: its instance ${g.instanceId} is ${g.state} at the provider; its work goes back to the queue`;
    },
    AdoptedInstance: () => {
      const g = f as ReconcileFacts['AdoptedInstance'];
      return `adopt instance ${g.instanceId} for ${g.worker}: launched but never saved`;
    },
    LaunchLost: () => {
      const g = f as ReconcileFacts['LaunchLost'];
      return `stop ${g.worker}: claimed for a launch ${formatDuration(g.claimedSeconds)} ago, but the provider has no instance for it`;
    },
  };
  const worker = 'worker' in f ? f.worker : null;
  return decision('reconcile', reason, {
    subject: worker ? `worker ${worker}` : `instance ${(f as ReconcileFacts['OrphanInstance']).instanceId}`,
    pool: f.pool,
    worker,
    count: 1,
    message: messages[reason](),
  });
}

export function error<R extends keyof ErrorFacts>(reason: R, facts: ErrorFacts[R]): Decision {
  const f = facts as ErrorFacts[keyof ErrorFacts];
  const messages: Record<keyof ErrorFacts, () => string> = {
    LaunchFailed: () => {
      const g = f as ErrorFacts['LaunchFailed'];
      const backoff = g.backoffUntil ? `; backing off until ${g.backoffUntil.toISOString()}` : '';
      return `${g.count} launch${g.count === 1 ? '' : 'es'} in ${g.pool} failed (${g.errorKind}): ${g.message}${backoff}`;
    },
    TerminateFailed: () => {
      const g = f as ErrorFacts['TerminateFailed'];
      return `terminating ${g.worker} in ${g.pool} failed (${g.errorKind}): ${g.message}; the next tick tries again`;
    },
    ListFailed: () => {
      const g = f as ErrorFacts['ListFailed'];
      return `listing instances of account ${g.account} failed (${g.errorKind}): ${g.message}; not reconciling ${g.pools.join(', ')} this tick`;
    },
    PoolMisconfigured: () => {
      const g = f as ErrorFacts['PoolMisconfigured'];
      return `pool ${g.pool} cannot launch: ${g.message}`;
    },
  };
  const pool = 'pool' in f ? f.pool : null;
  return decision('error', reason, {
    subject: pool ? `pool ${pool}` : `account ${(f as ErrorFacts['ListFailed']).account}`,
    pool,
    worker: 'worker' in f ? f.worker : null,
    count: 'count' in f ? f.count : 1,
    message: messages[reason](),
  });
}
