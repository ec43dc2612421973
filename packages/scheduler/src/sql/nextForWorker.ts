import { connectedSinceSql, type Database, retryingConflictOnce, type TaskType, type WorkRequest } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { WORK_ASSIGNED_CHANNEL } from './assignRequests';
import { closeUnconfigurable, configureFailure } from './closeUnconfigurable';
import { satisfiesSql, servesScopeSql, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { queueOrderSql } from './queueOrder';

/**
 * The worker-initiated path ("give me my next request"): the first pending request already
 * assigned to this worker, else the best pending request it can run, claimed for it if it
 * has a free slot. The worker row is locked for the decision, as in the bulk pass.
 * Does not mark the request running, nor notify: the asking worker gets the answer directly.
 * Returns null when nothing fits. A deadlock or serialization failure runs it once more.
 */
export async function assignNextForWorker(db: Database, workerId: string): Promise<WorkRequest | null> {
  const id = await retryingConflictOnce(() => claimNextForWorker(db, workerId, false));
  return id ? db.models.WorkRequest.findByPk(id) : null;
}

/**
 * Per-event dispatch: when one worker's state changes (it completed a request, reported its
 * metadata), settles that worker's next request as get-next-for-worker would, instead of a
 * pass over the whole queue and fleet, and tells its session (in whichever process holds it)
 * through WORK_ASSIGNED_CHANNEL on commit. Returns the id of the request waiting for it, if any.
 */
export async function settleNextForWorker(db: Database, workerId: string): Promise<string | null> {
  return retryingConflictOnce(() => claimNextForWorker(db, workerId, true));
}

function claimNextForWorker(db: Database, workerId: string, notify: boolean): Promise<string | null> {
  return db.sequelize.transaction(async (transaction) => {
    const next = await claimInTransaction(db, workerId, transaction);
    if (next && notify) {
      await db.sequelize.query('select pg_notify($1, $2)', { bind: [WORK_ASSIGNED_CHANNEL, workerId], transaction });
    }
    return next;
  });
}

async function claimInTransaction(db: Database, workerId: string, transaction: Transaction): Promise<string | null> {
  const [worker] = await db.sequelize.query<{ concurrency: number }>(
    `select w.concurrency from workers w where w.id = $1 for no key update of w`,
    { bind: [workerId], type: QueryTypes.SELECT, transaction },
  );
  if (!worker) return null;
  // Read after the lock: work a pass or claim committed while this one waited counts, and so
  // does a session lease that ended meanwhile (ending one takes this lock too).
  const [work] = await db.sequelize.query<{ assigned: string | null; active: number; eligible: boolean }>(
    `select (select id from work_requests where worker_id = $1 and status = 'pending'
              order by ${queueOrderSql()} limit 1) as assigned,
            (select count(*)::int from work_requests where worker_id = $1 and status in ('pending', 'running')) as active,
            (select ${connectedSinceSql('w.id')} is not null and coalesce(t.enabled, false)
               from workers w left join tokens t on t.id = w.token_id where w.id = $1) as eligible`,
    { bind: [workerId], type: QueryTypes.SELECT, transaction },
  );
  if (work!.assigned) return work!.assigned;
  if (!work!.eligible || work!.active >= worker.concurrency) return null;
  for (;;) {
    const [best] = await db.sequelize.query<{ id: string; task_type: TaskType; task_name: string; task_data: Record<string, unknown> }>(
      `with able as (
         select rs.id from requirement_sets rs, workers w left join worker_pools p on p.id = w.worker_pool_id
          where w.id = $1 and ${satisfiesSql(WORKER_TAGS, WORKER_NUMERIC, 'rs')}
       )
       select r.id, r.task_type, r.task_name, r.task_data
         from work_requests r, workers w left join worker_pools p on p.id = w.worker_pool_id
        where w.id = $1 and r.status = 'pending' and r.worker_id is null
          and r.requirement_set_id in (select id from able) and ${servesScopeSql('r.scope_id')}
        order by ${queueOrderSql('r')}
        limit 1 for no key update of r skip locked`,
      { bind: [workerId], type: QueryTypes.SELECT, transaction },
    );
    if (!best) return null;
    // A request its worker would refuse is closed as Debusine closes it, and the next one tried.
    if (configureFailure(best)) {
      await closeUnconfigurable(db, [best], transaction);
      continue;
    }
    await db.sequelize.query('update work_requests set worker_id = $1 where id = $2', { bind: [workerId, best.id], transaction });
    return best.id;
  }
}
