import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { freeWorkersSql } from './matching';

/**
 * Locks the workers a pass planned to give work, in id order, skipping any another transaction
 * holds, then counts each one's free slots in a statement of its own, so work a concurrent pass
 * or claim committed before the lock is seen; a worker no longer connected, enabled or
 * undrained by then has none. Returns worker id → free slots, for the locked workers with any.
 * Only the planned workers are locked: a pass over an idle fleet of thousands, run for one new
 * request, locks the one it gives it to, not every free worker.
 */
export async function lockPlannedWorkers(db: Database, workerIds: readonly string[], transaction: Transaction): Promise<Map<string, number>> {
  if (!workerIds.length) return new Map();
  const locked = await db.sequelize.query<{ id: string }>(
    `select w.id from workers w where w.id = any($1::bigint[]) order by w.id for no key update skip locked`,
    { bind: [workerIds], type: QueryTypes.SELECT, transaction },
  );
  if (!locked.length) return new Map();
  const rows = await db.sequelize.query<{ id: string; free_slots: number }>(
    `select w.id, w.free_slots from (${freeWorkersSql('$1::bigint[]')}) w`,
    { bind: [locked.map((w) => w.id)], type: QueryTypes.SELECT, transaction },
  );
  return new Map(rows.map((r) => [r.id, r.free_slots]));
}
