import { CONNECTED_WORKERS_SQL, type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { WORKER_ENABLED, WORKER_NOT_DRAINING } from './matching';

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
    `select w.id, w.concurrency - coalesce(a.active, 0)::int as free_slots
       from workers w
       join ${CONNECTED_WORKERS_SQL} c on c.worker_id = w.id
       left join (select worker_id, count(*) as active from work_requests
                   where status in ('pending', 'running') and worker_id = any($1::bigint[]) group by worker_id) a
         on a.worker_id = w.id
      where w.id = any($1::bigint[]) and ${WORKER_ENABLED} and ${WORKER_NOT_DRAINING} and w.concurrency > coalesce(a.active, 0)`,
    { bind: [locked.map((w) => w.id)], type: QueryTypes.SELECT, transaction },
  );
  return new Map(rows.map((r) => [r.id, r.free_slots]));
}
