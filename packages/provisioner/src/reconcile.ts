import { type ProviderInstance } from '@buildfleet/cloud-drivers';
import { type Decision, reconcile } from './decisions';
import { Reason } from './reasons';

/** A live worker row of a pool whose account was listed. */
export interface LiveRow {
  pool: string;
  worker: string;
  instanceId: string | null;
  instanceCreatedAt: Date;
}

export interface ReconciliationPlan {
  decisions: Decision[];
  /** Rows whose launch reached the provider but was never saved: store these instances. */
  adopt: { pool: string; worker: string; instanceId: string }[];
  /** Instances no row claims: terminate them. */
  orphans: { pool: string | null; worker: string | null; instanceId: string }[];
  /** Rows to stop (their work requeued): `charge` when an instance ran and its time counts. */
  stop: { pool: string; worker: string; charge: boolean; why: string }[];
}

const GONE = new Set(['deleting', 'gone']);

/**
 * Compares what one provider account runs for this installation with the live rows of every
 * pool (an account may share its cloud project with another), and stops only rows of its own
 * pools (`ownPools`). Pure. An instance no row claims is adopted when its `buildfleet-worker` label names a
 * live row without an instance id (a crash came between launch and save), else it is an
 * orphan to terminate. A row whose instance is missing or going away is stopped, and so is a
 * row claimed for a launch that never reached the provider — each only after `graceSeconds`
 * since the claim, as listings may lag a fresh launch.
 */
export function planReconciliation(
  rows: LiveRow[],
  listed: ProviderInstance[],
  { now, graceSeconds, ownPools }: { now: Date; graceSeconds: number; ownPools: ReadonlySet<string> },
): ReconciliationPlan {
  const result: ReconciliationPlan = { decisions: [], adopt: [], orphans: [], stop: [] };
  const claimed = new Set(rows.flatMap((r) => (r.instanceId === null ? [] : [r.instanceId])));
  const unsaved = new Map(rows.filter((r) => r.instanceId === null).map((r) => [r.worker, r]));
  const byWorker = new Map(rows.map((r) => [r.worker, r]));
  const adopted = new Set<string>();

  for (const instance of listed) {
    if (GONE.has(instance.state) || claimed.has(instance.instanceId)) continue;
    const row = instance.workerName === undefined ? undefined : unsaved.get(instance.workerName);
    // Another account's unsaved launch, seen through a shared cloud project: its own pass adopts it.
    if (row && !ownPools.has(row.pool)) continue;
    if (row && !adopted.has(row.worker)) {
      adopted.add(row.worker);
      result.adopt.push({ pool: row.pool, worker: row.worker, instanceId: instance.instanceId });
      result.decisions.push(reconcile(Reason.AdoptedInstance, { pool: row.pool, worker: row.worker, instanceId: instance.instanceId }));
      continue;
    }
    const owner = instance.workerName === undefined ? undefined : byWorker.get(instance.workerName);
    const why =
      instance.workerName === undefined
        ? 'it carries no buildfleet-worker label'
        : owner
          ? `worker ${owner.worker} runs ${owner.instanceId === null ? 'another instance' : `instance ${owner.instanceId}`}`
          : `no live worker row is named ${instance.workerName}`;
    result.orphans.push({ pool: instance.poolName ?? null, worker: instance.workerName ?? null, instanceId: instance.instanceId });
    result.decisions.push(
      reconcile(Reason.OrphanInstance, {
        pool: instance.poolName ?? null,
        instanceId: instance.instanceId,
        worker: instance.workerName ?? null,
        why,
      }),
    );
  }

  const listedById = new Map(listed.map((i) => [i.instanceId, i]));
  for (const row of rows) {
    if (!ownPools.has(row.pool)) continue;
    const age = (now.getTime() - row.instanceCreatedAt.getTime()) / 1000;
    if (age < graceSeconds || adopted.has(row.worker)) continue;
    if (row.instanceId === null) {
      result.stop.push({ pool: row.pool, worker: row.worker, charge: false, why: 'its launch never reached the provider' });
      result.decisions.push(reconcile(Reason.LaunchLost, { pool: row.pool, worker: row.worker, claimedSeconds: age }));
      continue;
    }
    const instance = listedById.get(row.instanceId);
    if (instance && !GONE.has(instance.state)) continue;
    const state = instance ? instance.state : 'missing';
    result.stop.push({ pool: row.pool, worker: row.worker, charge: true, why: `its instance ${row.instanceId} is ${state} at the provider` });
    result.decisions.push(reconcile(Reason.VanishedInstance, { pool: row.pool, worker: row.worker, instanceId: row.instanceId, state }));
  }
  return result;
}
