import { randomUUID } from 'node:crypto';
import { ConflictError, type Database, getWorker, NotFoundError, ValidationError } from '@buildfleet/models';
import { type ActContext, launchInPool, requireBootstrap, terminateInPool } from './actions';
import { type Decision, hold, launch, terminate } from './decisions';
import { DEFAULT_LAUNCH_PARALLELISM, Drivers } from './drivers';
import { DEFAULT_TASK_SECONDS, type TickOptions } from './interfaces';
import { launchAllowance } from './planner';
import { Reason } from './reasons';
import { acquireProvisioningLock, type HeldLock } from './sql/advisoryLock';
import { recordDecisions } from './sql/decisions';
import { readInstallationId } from './sql/installation';
import { readMonthlyUsage } from './sql/monthlyUsage';
import { type PoolRecord, readPools } from './sql/readPools';
import { TICK_DEFAULTS } from './tick';

export type ManualOptions = Omit<TickOptions, 'dryRun' | 'poolParallelism' | 'launchGraceSeconds' | 'holdDedupeSeconds'> & {
  /** Skip the limit checks (launch) or the busy check (terminate). (Default: false) */
  force?: boolean;
  /** How long to wait for a running tick to finish. (Default: 60000) */
  lockWaitMs?: number;
};

export interface ManualLaunchResult {
  pool: string;
  launched: { worker: string; instanceId: string }[];
  failed: number;
  decisions: Decision[];
}

export interface ManualTerminateResult {
  pool: string;
  worker: string;
  decisions: Decision[];
}

async function withLock<T>(db: Database, options: ManualOptions, fn: (ctx: ActContext) => Promise<T>): Promise<T> {
  const lock: HeldLock | null = await acquireProvisioningLock(db.url, { waitMs: options.lockWaitMs ?? 60_000 });
  if (!lock) throw new ConflictError('a provisioning tick holds the provisioning lock; try again in a moment');
  try {
    const installationId = options.installationId ?? (await readInstallationId(db));
    return await fn({
      db,
      drivers: new Drivers(db, installationId, options),
      bootstrap: options.bootstrap,
      now: options.now ?? (() => new Date()),
      backoffBaseSeconds: options.backoffBaseSeconds ?? TICK_DEFAULTS.backoffBaseSeconds,
      backoffMaxSeconds: options.backoffMaxSeconds ?? TICK_DEFAULTS.backoffMaxSeconds,
      emit: options.onEvent ?? (() => undefined),
    });
  } finally {
    await lock.release();
  }
}

async function record(ctx: ActContext, decisions: Decision[]): Promise<void> {
  await recordDecisions(ctx.db, randomUUID(), decisions, { now: ctx.now(), holdDedupeSeconds: 0 });
  for (const decision of decisions) ctx.emit({ type: 'decision', decision });
}

async function readPool(db: Database, name: string, now: Date): Promise<PoolRecord> {
  const [pool] = await readPools(db, await readMonthlyUsage(db, { now }), { pool: name });
  if (!pool) throw new NotFoundError('worker pool', name, 'see `buildfleet pool list`');
  return pool;
}

/**
 * Launches `count` instances in the pool now, as `pool launch` does. Unless `force`, the pool
 * must be enabled, not backing off, and have room under `max_active_instances` and its monthly
 * budget for all of them (a launch is expected to cost one default task), else nothing is
 * launched and a ConflictError says why. Waits for a running tick (the provisioning lock).
 */
export async function launchWorkers(db: Database, poolName: string, count: number, options: ManualOptions): Promise<ManualLaunchResult> {
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw ValidationError.single('pool launch', 'count', 'give a whole number of instances from 1 to 1000');
  }
  requireBootstrap(options.bootstrap);
  return withLock(db, options, async (ctx) => {
    const pool = await readPool(db, poolName, ctx.now());
    const force = options.force ?? false;
    if (!force) {
      const allowance = launchAllowance(pool.state, {
        now: ctx.now(),
        scope: null,
        taskSeconds: options.plan?.defaultTaskSeconds ?? DEFAULT_TASK_SECONDS,
        planned: 0,
        spentSeconds: 0,
        scopeSpentSeconds: 0,
        pending: 0,
      });
      if ('hold' in allowance) {
        const { message } = hold(allowance.hold.reason, allowance.hold.facts as never);
        throw new ConflictError(`${message}; launch with --force to launch anyway`);
      }
      if (allowance.allowed < count) {
        throw new ConflictError(
          `pool ${poolName} can launch at most ${allowance.allowed} now (max_active_instances or its monthly budget); ` +
            'launch fewer, or with --force',
        );
      }
    }
    const decided = launch(Reason.ManualLaunch, { pool: poolName, count, forced: force });
    await record(ctx, [decided]);
    const outcome = await launchInPool(ctx, pool, count, { force });
    await record(ctx, outcome.decisions);
    return {
      pool: poolName,
      launched: outcome.launched.map(({ worker, instanceId }) => ({ worker, instanceId })),
      failed: outcome.failed,
      decisions: [decided, ...outcome.decisions],
    };
  });
}

/**
 * The provider refused to terminate the instance: the worker's tokens are disabled and the
 * decisions recorded (`result`), and the next tick tries again.
 */
export class TerminateFailedError extends ConflictError {
  constructor(
    message: string,
    readonly result: ManualTerminateResult,
  ) {
    super(message);
    this.name = 'TerminateFailedError';
  }
}

/**
 * Terminates one pool worker's instance now, as `pool terminate` does. A worker with pending or
 * running work is refused unless `force`; forced, its pending work goes back to the queue and
 * its running work is retried as a worker failure.
 */
export async function terminateWorker(db: Database, workerName: string, options: ManualOptions): Promise<ManualTerminateResult> {
  return withLock(db, options, async (ctx) => {
    const view = await getWorker(db, workerName);
    if (!view.pool) throw new ConflictError(`worker "${workerName}" is a static worker: it has no instance to terminate`);
    const pool = await readPool(db, view.pool, ctx.now());
    const instance = pool.state.instances.find((i) => i.worker === workerName);
    if (!instance) throw new ConflictError(`worker "${workerName}" is stopped: it has no instance to terminate`);
    if (instance.instanceId === null) {
      throw new ConflictError(`worker "${workerName}" has a launch in flight; the next provisioning tick reconciles it`);
    }
    const force = options.force ?? false;
    if (instance.activeRequests > 0 && !force) {
      throw new ConflictError(
        `worker "${workerName}" has ${instance.activeRequests} pending or running work request(s); ` +
          'terminate with --force to requeue them',
      );
    }
    const decided = terminate(Reason.ManualTerminate, { pool: pool.state.name, worker: workerName, forced: force });
    const outcome = await terminateInPool(ctx, pool, [{ worker: workerName, instanceId: instance.instanceId }], {
      evenIfBusy: force,
      why: 'an admin terminated its instance',
      parallelism: options.launchParallelism ?? DEFAULT_LAUNCH_PARALLELISM,
    });
    if (outcome.busy.length) {
      throw new ConflictError(`worker "${workerName}" was given work meanwhile; terminate with --force to requeue it`);
    }
    await record(ctx, [decided, ...outcome.decisions]);
    const result = { pool: pool.state.name, worker: workerName, decisions: [decided, ...outcome.decisions] };
    const failed = outcome.decisions.find((d) => d.kind === 'error');
    if (failed) throw new TerminateFailedError(failed.message, result);
    return result;
  });
}
