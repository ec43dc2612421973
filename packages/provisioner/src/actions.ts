import { type CloudDriver, forEachBounded, type InstanceSpec, isProviderError, type LaunchResult, ProviderError } from '@buildfleet/cloud-drivers';
import { type Database, poolImage, ValidationError } from '@buildfleet/models';
import { renderUserData } from './bootstrap';
import { type Decision, error } from './decisions';
import { type Drivers } from './drivers';
import { type BootstrapOptions, type TickEvent } from './interfaces';
import { Reason } from './reasons';
import { claimWorkers } from './sql/claimWorkers';
import { disableWorkers } from './sql/disableWorkers';
import { recordPoolFailure, recordPoolSuccess } from './sql/poolHealth';
import { type PoolRecord } from './sql/readPools';
import { releaseWorkers } from './sql/releaseWorkers';
import { saveLaunches } from './sql/saveLaunches';

/** Activation token lifetime unless configured: long enough for package installs and a reboot. (3600) */
export const DEFAULT_ACTIVATION_TOKEN_LIFETIME_SECONDS = 3600;

/** What acting needs besides the pool: the I/O edges of a tick or a manual command. */
export interface ActContext {
  db: Database;
  drivers: Drivers;
  /** Required to launch. */
  bootstrap: BootstrapOptions | undefined;
  now: () => Date;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  emit: (event: TickEvent) => void;
}

export interface LaunchOutcome {
  launched: { pool: string; worker: string; instanceId: string }[];
  failed: number;
  decisions: Decision[];
}

/** Launching needs the API URL the workers register with; checked before anything is claimed. */
export function requireBootstrap(bootstrap: BootstrapOptions | undefined): BootstrapOptions {
  if (!bootstrap?.apiUrl) {
    throw ValidationError.single('provisioning', 'bootstrap.apiUrl', 'give the API URL launched workers register with, e.g. https://debusine.example.net/api');
  }
  return bootstrap;
}

function asProviderError(cause: unknown): ProviderError {
  if (isProviderError(cause)) return cause;
  if (cause instanceof ValidationError) return new ProviderError('invalid', cause.message);
  return new ProviderError('transient', `unexpected failure: ${cause instanceof Error ? cause.message : String(cause)}`, {
    retryable: false,
  });
}

/**
 * Launches up to `count` instances of the pool. Three steps, and no transaction is open during
 * the cloud call: claim rows and fresh activation tokens (one short transaction, which also
 * enforces `max_active_instances` unless `force`), call the driver with each worker's user data,
 * then save the instance ids and stop the rows whose launch failed (another short transaction).
 * Failures count against the pool's health (backoff) and come back as error decisions; they
 * never throw, so one pool's trouble does not stop another's launches.
 */
export async function launchInPool(
  ctx: ActContext,
  pool: PoolRecord,
  count: number,
  { force, replacing = [] }: { force: boolean; /** Outdated workers the first launches replace, remembered on their rows. */ replacing?: string[] },
): Promise<LaunchOutcome> {
  const { db, now } = ctx;
  const bootstrap = requireBootstrap(ctx.bootstrap);
  const name = pool.state.name;
  const claim = await claimWorkers(db, pool.id, count, {
    force,
    tokenLifetimeSeconds: bootstrap.activationTokenLifetimeSeconds ?? DEFAULT_ACTIVATION_TOKEN_LIFETIME_SECONDS,
    now: now(),
    image: poolImage(pool.driver.specifications),
  });
  if (!claim.workers.length) return { launched: [], failed: 0, decisions: [] };

  let driver: CloudDriver;
  let specs: InstanceSpec[];
  try {
    driver = await ctx.drivers.for(pool.driver);
    specs = claim.workers.map((worker) => ({
      workerName: worker.name,
      poolName: name,
      userData: renderUserData(pool.driver.specifications, worker.activationKey, bootstrap),
      labels: {},
    }));
  } catch (cause) {
    const problem = asProviderError(cause);
    await saveLaunches(db, { launched: [], failed: claim.workers.map((w) => w.name) });
    await recordPoolFailure(db, pool.id, problem, { now: now(), baseSeconds: ctx.backoffBaseSeconds, maxSeconds: ctx.backoffMaxSeconds });
    return { launched: [], failed: claim.workers.length, decisions: [error(Reason.PoolMisconfigured, { pool: name, message: problem.message })] };
  }

  let result: LaunchResult;
  try {
    result = await driver.launch(specs, { onProgress: (progress) => ctx.emit({ type: 'launch', pool: name, progress }) });
  } catch (cause) {
    // A driver bug: whatever it created is an orphan for the next reconciliation.
    const problem = asProviderError(cause);
    result = { launched: [], failed: specs.map((s) => ({ workerName: s.workerName, error: problem })) };
  }
  const replaces = new Map(claim.workers.slice(0, replacing.length).map((w, i) => [w.name, replacing[i]!]));
  const saved = new Set(
    await saveLaunches(db, {
      launched: result.launched.map((l) => ({
        worker: l.workerName,
        data: replaces.has(l.workerName) ? { ...l.data, replaces: replaces.get(l.workerName) } : l.data,
      })),
      failed: result.failed.map((f) => f.workerName),
    }),
  );
  const launched = result.launched.filter((l) => saved.has(l.workerName)).map((l) => ({ pool: name, worker: l.workerName, instanceId: l.instanceId }));
  if (!result.failed.length) {
    await recordPoolSuccess(db, pool.id, { now: now() });
    return { launched, failed: 0, decisions: [] };
  }
  const first = mostCommonError(result.failed.map((f) => f.error));
  const backoffUntil = await recordPoolFailure(db, pool.id, first, {
    now: now(),
    baseSeconds: ctx.backoffBaseSeconds,
    maxSeconds: ctx.backoffMaxSeconds,
  });
  return {
    launched,
    failed: result.failed.length,
    decisions: [
      error(Reason.LaunchFailed, {
        pool: name,
        count: result.failed.length,
        errorKind: first.kind,
        message: first.message,
        backoffUntil,
      }),
    ],
  };
}

function mostCommonError(errors: ProviderError[]): ProviderError {
  const counts = new Map<string, number>();
  for (const e of errors) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  const kind = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  return errors.find((e) => e.kind === kind)!;
}

export interface TerminateOutcome {
  terminated: { pool: string; worker: string }[];
  /** Workers left alone because they had work by the time their tokens were to be disabled. */
  busy: string[];
  decisions: Decision[];
}

/**
 * Terminates instances of the pool: disables each worker's tokens and requeues its pending
 * work (a short transaction that skips workers that got work meanwhile, unless `evenIfBusy`),
 * asks the provider to delete the instance, then stops the row: runtime written to
 * worker_pool_statistics, running work retried as a worker failure. A failed cloud call leaves
 * the row live with its tokens disabled; the next tick tries again.
 */
export async function terminateInPool(
  ctx: ActContext,
  pool: PoolRecord,
  targets: { worker: string; instanceId: string }[],
  { evenIfBusy, why, parallelism }: { evenIfBusy: boolean; why: string; parallelism: number },
): Promise<TerminateOutcome> {
  const name = pool.state.name;
  const disabled = new Set(await disableWorkers(ctx.db, targets.map((t) => t.worker), { evenIfBusy }));
  const outcome: TerminateOutcome = { terminated: [], busy: targets.filter((t) => !disabled.has(t.worker)).map((t) => t.worker), decisions: [] };
  const chosen = targets.filter((t) => disabled.has(t.worker));
  if (!chosen.length) return outcome;
  const gone: string[] = [];
  try {
    const driver = await ctx.drivers.for(pool.driver);
    await forEachBounded(chosen, parallelism, async (target) => {
      try {
        await driver.terminate(target.instanceId);
        gone.push(target.worker);
      } catch (cause) {
        const problem = asProviderError(cause);
        outcome.decisions.push(
          error(Reason.TerminateFailed, { pool: name, worker: target.worker, errorKind: problem.kind, message: problem.message }),
        );
      }
    });
  } catch (cause) {
    const problem = asProviderError(cause);
    outcome.decisions.push(error(Reason.PoolMisconfigured, { pool: name, message: problem.message }));
  }
  const released = await releaseWorkers(
    ctx.db,
    gone.map((worker) => ({ worker, charge: true, why })),
    { now: ctx.now() },
  );
  for (const worker of released.stopped) {
    outcome.terminated.push({ pool: name, worker });
    ctx.emit({ type: 'terminated', pool: name, worker });
  }
  return outcome;
}
