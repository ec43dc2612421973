import { type Database, ownValue } from '@buildfleet/models';
import { getUnmetDemand } from '@buildfleet/scheduler';
import { Transaction } from 'sequelize';
import { type PlanningSnapshot } from './interfaces';
import { readMonthlyUsage } from './sql/monthlyUsage';
import { type PoolRecord, readPools } from './sql/readPools';
import { readRecentStarts } from './sql/recentStarts';
import { readMedianTaskSeconds } from './sql/taskDurations';

/** A tick refuses to plan when any part of its snapshot could not be read. */
export class PartialSnapshotError extends Error {
  constructor(part: string, cause: unknown) {
    super(`refusing to plan on a partial read: reading ${part} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PartialSnapshotError';
  }
}

async function part<T>(name: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    throw new PartialSnapshotError(name, cause);
  }
}

/**
 * Everything `plan` needs, read completely or not at all: the scheduler's unmet demand, then
 * pools, instances, usage, recent starts and task durations in one repeatable-read transaction,
 * so they agree with each other.
 */
export async function readSnapshot(db: Database, now: Date): Promise<{ snapshot: PlanningSnapshot; pools: PoolRecord[] }> {
  const demand = await part('unmet demand', () => getUnmetDemand(db));
  return part('pools, instances, usage and task durations', () =>
    db.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ, readOnly: true }, async (transaction) => {
      const usage = await readMonthlyUsage(db, { now, transaction });
      const pools = await readPools(db, usage, { transaction });
      const recentStarts = await readRecentStarts(db, { now, transaction });
      const setIds = [...new Set(demand.map((d) => d.requirementSet.id))];
      const medianTaskSeconds = await readMedianTaskSeconds(db, setIds, { now, transaction });
      return {
        pools,
        snapshot: {
          demand: demand.map((d) => ({
            scope: d.scope,
            requirementSetId: d.requirementSet.id,
            requirementSet: d.requirementSet.key,
            pending: d.pending,
            maxPriority: d.maxPriority,
            oldestCreatedAt: new Date(d.oldestCreatedAt),
            pools: d.pools.map((p) => p.name),
          })),
          pools: pools.map((p) => ({ ...p.state, recentStarts: ownValue(recentStarts, p.state.name) ?? 0 })),
          medianTaskSeconds,
        },
      };
    }),
  );
}
