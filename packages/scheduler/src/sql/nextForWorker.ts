import { connectedSinceSql, type Database, retryingConflictOnce, type WorkRequest } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
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
  const id = await retryingConflictOnce(() => claimNextForWorker(db, workerId));
  return id ? db.models.WorkRequest.findByPk(id) : null;
}

function claimNextForWorker(db: Database, workerId: string): Promise<string | null> {
  return db.sequelize.transaction(async (transaction) => {
    const [worker] = await db.sequelize.query<{ concurrency: number; eligible: boolean }>(
      `select w.concurrency, ${connectedSinceSql('w.id')} is not null and coalesce(t.enabled, false) as eligible
         from workers w left join tokens t on t.id = w.token_id
        where w.id = $1 for no key update of w`,
      { bind: [workerId], type: QueryTypes.SELECT, transaction },
    );
    if (!worker) return null;
    // Read after the lock: work a pass or claim committed while this one waited counts.
    const [work] = await db.sequelize.query<{ assigned: string | null; active: number }>(
      `select (select id from work_requests where worker_id = $1 and status = 'pending'
                order by ${queueOrderSql()} limit 1) as assigned,
              (select count(*)::int from work_requests where worker_id = $1 and status in ('pending', 'running')) as active`,
      { bind: [workerId], type: QueryTypes.SELECT, transaction },
    );
    if (work!.assigned) return work!.assigned;
    if (!worker.eligible || work!.active >= worker.concurrency) return null;
    const [claimed] = await db.sequelize.query<{ id: string }>(
      `with able as (
         select rs.id from requirement_sets rs, workers w left join worker_pools p on p.id = w.worker_pool_id
          where w.id = $1 and ${satisfiesSql(WORKER_TAGS, WORKER_NUMERIC, 'rs')}
       ), best as (
         select r.id from work_requests r, workers w left join worker_pools p on p.id = w.worker_pool_id
          where w.id = $1 and r.status = 'pending' and r.worker_id is null
            and r.requirement_set_id in (select id from able) and ${servesScopeSql('r.scope_id')}
          order by ${queueOrderSql('r')}
          limit 1 for no key update of r skip locked
       )
       update work_requests r set worker_id = $1 from best where r.id = best.id
       returning r.id`,
      { bind: [workerId], type: QueryTypes.SELECT, transaction },
    );
    return claimed?.id ?? null;
  });
}
