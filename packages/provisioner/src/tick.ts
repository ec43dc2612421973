import { randomUUID } from 'node:crypto';
import { forEachBounded, type ProviderInstance } from '@buildfleet/cloud-drivers';
import { type Database } from '@buildfleet/models';
import { type ActContext, launchInPool, requireBootstrap, terminateInPool } from './actions';
import { type Decision, error } from './decisions';
import { DEFAULT_LAUNCH_PARALLELISM, Drivers } from './drivers';
import { type TickOptions, type TickResult } from './interfaces';
import { plan } from './planner';
import { Reason } from './reasons';
import { type LiveRow, planReconciliation } from './reconcile';
import { poolSamples } from './samples';
import { readSnapshot } from './snapshot';
import { acquireProvisioningLock } from './sql/advisoryLock';
import { recordDecisions } from './sql/decisions';
import { readInstallationId } from './sql/installation';
import { recordPoolSamples } from './sql/poolSamples';
import { type PoolRecord, readPools } from './sql/readPools';
import { drainWorkers } from './sql/drainWorkers';
import { releaseWorkers } from './sql/releaseWorkers';
import { saveLaunches } from './sql/saveLaunches';

/** Defaults of the tick's knobs; see TickOptions. */
export const TICK_DEFAULTS = {
  poolParallelism: 8,
  backoffBaseSeconds: 60,
  backoffMaxSeconds: 3600,
  launchGraceSeconds: 300,
  holdDedupeSeconds: 600,
} as const;

/**
 * One provisioning round:
 * 1. lock: take the provisioning advisory lock, or skip (another process is ticking);
 * 2. reconcile: list each provider account's instances and compare them with the rows;
 * 3. snapshot: read demand, pools, instances, usage and durations, completely or not at all;
 * 4. plan: `plan(snapshot, now)`, pure;
 * 5. record: write the decisions (reconciliation's included) before acting on them, and one
 *    sample per pool (pending work it could serve, live instances, seconds this month) for the charts;
 * 6. act: start or stop draining the workers the plan names (dispatch gives a draining worker
 *    no new work), then per pool, at most `poolParallelism` pools at once, terminate then
 *    launch; provider failures become error decisions and pool backoff, never an aborted tick.
 * A dry run takes no lock, records nothing and changes nothing; it only lists instances.
 */
export async function tick(db: Database, options: TickOptions): Promise<TickResult> {
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent ?? (() => undefined);
  const tickId = randomUUID();
  if (!options.dryRun) requireBootstrap(options.bootstrap);
  const result: TickResult = { ran: false, tickId, decisions: [], launched: [], terminated: [] };
  const lock = options.dryRun ? null : await acquireProvisioningLock(db.url, { waitMs: 0 });
  if (!options.dryRun && !lock) {
    emit({ type: 'skipped', message: 'another provisioner holds the provisioning lock; skipping this tick' });
    return result;
  }
  try {
    const installationId = options.installationId ?? (await readInstallationId(db));
    const ctx: ActContext = {
      db,
      drivers: new Drivers(db, installationId, options),
      bootstrap: options.bootstrap,
      now,
      backoffBaseSeconds: options.backoffBaseSeconds ?? TICK_DEFAULTS.backoffBaseSeconds,
      backoffMaxSeconds: options.backoffMaxSeconds ?? TICK_DEFAULTS.backoffMaxSeconds,
      emit,
    };
    const record = async (decisions: Decision[]) => {
      if (!options.dryRun) {
        await recordDecisions(db, tickId, decisions, {
          now: now(),
          holdDedupeSeconds: options.holdDedupeSeconds ?? TICK_DEFAULTS.holdDedupeSeconds,
        });
      }
      for (const decision of decisions) emit({ type: 'decision', decision });
      result.decisions.push(...decisions);
    };

    await record(await reconcileAll(ctx, options));

    const snapshotAt = now();
    const { snapshot, pools } = await readSnapshot(db, snapshotAt);
    const planned = plan(snapshot, now(), options.plan);
    await record(planned.decisions);
    if (options.dryRun) return result;
    result.ran = true;
    await recordPoolSamples(db, poolSamples(snapshot), { at: snapshotAt });
    await drainWorkers(db, planned.drains, { now: snapshotAt });

    const byName = new Map(pools.map((p) => [p.state.name, p]));
    const names = [...new Set([...planned.terminations.map((t) => t.pool), ...planned.launches.map((l) => l.pool)])];
    const outcomes: Decision[] = [];
    await forEachBounded(names, options.poolParallelism ?? TICK_DEFAULTS.poolParallelism, async (name) => {
      const pool = byName.get(name)!;
      const ending = planned.terminations.filter((t) => t.pool === name);
      if (ending.length) {
        const done = await terminateInPool(ctx, pool, ending, {
          evenIfBusy: false,
          why: 'its instance was terminated',
          parallelism: options.launchParallelism ?? DEFAULT_LAUNCH_PARALLELISM,
        });
        result.terminated.push(...done.terminated);
        outcomes.push(...done.decisions);
      }
      const { count = 0, replacing = [] } = planned.launches.find((l) => l.pool === name) ?? {};
      if (count) {
        const done = await launchInPool(ctx, pool, count, { force: false, replacing });
        result.launched.push(...done.launched);
        outcomes.push(...done.decisions);
      }
    });
    await record(outcomes);
    return result;
  } finally {
    await lock?.release();
  }
}

/** Phase 2 of a tick: one listing per provider account, compared with the rows of every pool. */
async function reconcileAll(ctx: ActContext, options: TickOptions): Promise<Decision[]> {
  const pools = await readPools(ctx.db, { pools: {}, scopes: {} });
  const rows: LiveRow[] = pools.flatMap((p) =>
    p.state.instances.map((i) => ({ pool: p.state.name, worker: i.worker, instanceId: i.instanceId, instanceCreatedAt: i.instanceCreatedAt })),
  );
  const accounts = new Map<string, PoolRecord[]>();
  for (const pool of pools) accounts.set(pool.driver.accountId, [...(accounts.get(pool.driver.accountId) ?? []), pool]);

  const decisions: Decision[] = [];
  await forEachBounded([...accounts.values()], options.poolParallelism ?? TICK_DEFAULTS.poolParallelism, async (accountPools) => {
    const first = accountPools[0]!;
    let listed: ProviderInstance[];
    let driver;
    try {
      driver = await ctx.drivers.for(first.driver);
      listed = await driver.list();
    } catch (cause) {
      const problem = cause instanceof Error ? cause : new Error(String(cause));
      decisions.push(
        error(Reason.ListFailed, {
          account: first.driver.accountName,
          pools: accountPools.map((p) => p.state.name),
          errorKind: 'kind' in problem ? String(problem.kind) : 'transient',
          message: problem.message,
        }),
      );
      return;
    }
    const found = planReconciliation(rows, listed, {
      now: ctx.now(),
      graceSeconds: options.launchGraceSeconds ?? TICK_DEFAULTS.launchGraceSeconds,
      ownPools: new Set(accountPools.map((p) => p.state.name)),
    });
    decisions.push(...found.decisions);
    if (options.dryRun) return;

    if (found.adopt.length) {
      await saveLaunches(ctx.db, {
        launched: found.adopt.map((a) => ({ worker: a.worker, data: { 'instance-id': a.instanceId, adopted: true } })),
        failed: [],
      });
    }
    await forEachBounded(found.orphans, 8, async (orphan) => {
      try {
        await driver.terminate(orphan.instanceId);
      } catch (cause) {
        decisions.push(
          error(Reason.TerminateFailed, {
            pool: orphan.pool ?? first.driver.accountName,
            worker: orphan.worker ?? orphan.instanceId,
            errorKind: cause instanceof Error && 'kind' in cause ? String(cause.kind) : 'transient',
            message: cause instanceof Error ? cause.message : String(cause),
          }),
        );
      }
    });
    await releaseWorkers(
      ctx.db,
      found.stop.map((s) => ({ worker: s.worker, charge: s.charge, why: `the worker was lost: ${s.why}` })),
      { now: ctx.now() },
    );
  });
  return decisions;
}
