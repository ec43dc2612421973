import { randomUUID } from 'node:crypto';
import {
  type Database,
  getWorkerPool,
  type ProviderType,
  updateWorkerPool,
  upsertWorkerPool,
  ValidationError,
  type WorkerPoolInput,
  type WorkerPoolView,
} from '@buildfleet/models';
import { type Transaction } from 'sequelize';
import { type Decision, image } from './decisions';
import { Reason } from './reasons';
import { recordDecisions } from './sql/decisions';

export interface PoolUpdateResult {
  pool: WorkerPoolView;
  /** The recorded image decision, when the pool's image changed. */
  decision: Decision | null;
}

/**
 * `pool update`: changes the given fields (see `updateWorkerPool`) and, when that changes the
 * pool's image (`--image`, or a specification naming another), records why in the same
 * transaction. The rollout follows on the next ticks.
 */
export async function updatePool(db: Database, name: string, patch: Partial<WorkerPoolInput>): Promise<PoolUpdateResult> {
  return db.sequelize.transaction(async (transaction) => {
    const [result] = await changePools(db, transaction, [{ name, patch }], Reason.ImageSetByAdmin, null);
    return result!;
  });
}

/**
 * `pool create`: creates the pool (no decision: it has no instances yet), or updates the existing
 * one as `updatePool` does, so an image change through it is recorded too.
 */
export async function upsertPool(db: Database, input: WorkerPoolInput): Promise<PoolUpdateResult & { created: boolean }> {
  if (!(await db.models.WorkerPool.findOne({ where: { name: input.name }, attributes: ['id'] }))) {
    return { ...(await upsertWorkerPool(db, input)), decision: null };
  }
  return { ...(await updatePool(db, input.name, input)), created: false };
}

/**
 * Refuses an unknown pool (NotFoundError) and a pool of another provider than `providerType`
 * (ValidationError on `--pool`): `image build` checks before building, and again when moving.
 */
export async function checkPoolsRunImagesOf(
  db: Database,
  pools: string[],
  providerType: ProviderType,
  { transaction }: { transaction?: Transaction } = {},
): Promise<void> {
  for (const name of pools) {
    const pool = await getWorkerPool(db, name, { transaction });
    if (pool.providerType !== providerType) {
      throw ValidationError.single(
        'image build',
        '--pool',
        `pool "${name}" launches on ${pool.providerType}, which cannot run a ${providerType} image; give ${providerType} pools only`,
      );
    }
  }
}

/**
 * `image build --pool`: moves every pool to `imageId` in one transaction with one decision
 * each, or none of them (an unknown pool, a pool whose provider cannot run it).
 */
export async function movePoolsToImage(
  db: Database,
  pools: string[],
  imageId: string,
  { build, providerType }: { build: string; providerType: ProviderType },
): Promise<PoolUpdateResult[]> {
  return db.sequelize.transaction(async (transaction) => {
    const names = [...new Set(pools)];
    await checkPoolsRunImagesOf(db, names, providerType, { transaction });
    return changePools(db, transaction, names.map((name) => ({ name, patch: { image: imageId } })), Reason.ImageBuilt, build);
  });
}

async function changePools(
  db: Database,
  transaction: Transaction,
  changes: { name: string; patch: Partial<WorkerPoolInput> }[],
  reason: typeof Reason.ImageSetByAdmin | typeof Reason.ImageBuilt,
  build: string | null,
): Promise<PoolUpdateResult[]> {
  const results: PoolUpdateResult[] = [];
  for (const { name, patch } of changes) {
    await db.sequelize.query(`select 1 from worker_pools where name = $1::text for update`, { bind: [name], transaction });
    const before = await getWorkerPool(db, name, { transaction });
    const pool = await updateWorkerPool(db, name, patch, { transaction });
    let decision: Decision | null = null;
    if (pool.image !== null && pool.image !== before.image) {
      const facts = { pool: name, from: before.image, to: pool.image, outdated: pool.workers.outdatedImage, ephemeral: pool.ephemeral };
      decision = reason === Reason.ImageBuilt ? image(reason, { ...facts, build: build ?? '' }) : image(reason, facts);
    }
    results.push({ pool, decision });
  }
  const decisions = results.flatMap((r) => (r.decision ? [r.decision] : []));
  await recordDecisions(db, randomUUID(), decisions, { now: new Date(), holdDedupeSeconds: 0, transaction });
  return results;
}
