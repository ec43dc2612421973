import { type Database, queryPrepared, type TaskType } from '@buildfleet/models';
import { freeWorkersSql, satisfiesSql, WORKER_NUMERIC, WORKER_TAGS } from './matching';
import { checkedTaskSql } from './nextForWorker';
import { scopePoolOrderSql } from './poolOrder';
import { queueOrderSql } from './queueOrder';
import { waitingSql } from './readDispatchSnapshot';

/** A waiting request, its task as the settle checks it (`checkAhead`), and the free workers able to run it. */
export interface FreeWorkersFor {
  requestId: string;
  task_type: TaskType;
  task_name: string;
  task_data: Record<string, unknown>;
  checked: string;
  workerIds: string[];
}

/**
 * For each of the requests `ids` still waiting for a worker, in queue order, the first `limit`
 * free workers able to run it in dispatch's order: the pass's free workers (`freeWorkersSql`),
 * its requirement matching (`satisfiesSql`) and its pool order (workers without a pool, then
 * the scope's pools as `scopePoolOrderSql` ranks them), earliest connected first within each.
 * Each comes with its task, for the settle's configure check ahead. Nothing is locked: the
 * caller claims through the workers' own settle. Prepared: planning it cost more than running it.
 */
export async function freeWorkersFor(db: Database, ids: string[], limit: number): Promise<FreeWorkersFor[]> {
  return queryPrepared<FreeWorkersFor>(
    db,
    `with free as materialized (${freeWorkersSql()}),
          ranked as (${scopePoolOrderSql('array(select scope_id from work_requests where id = any($1::bigint[]))')})
     select r.id::text as "requestId", r.task_type, r.task_name, r.task_data, ${checkedTaskSql('r')} as checked, array(
              select w.id::text
                from free w
                left join worker_pools p on p.id = w.worker_pool_id
                left join ranked k on k.scope_id = r.scope_id and k.pool_id = w.worker_pool_id
               where (w.worker_pool_id is null or k.rank is not null) and ${satisfiesSql(WORKER_TAGS, WORKER_NUMERIC, 'rs')}
               order by coalesce(k.rank, 0), w.connected_since, w.id
               limit $2) as "workerIds"
       from work_requests r join requirement_sets rs on rs.id = r.requirement_set_id
      where r.id = any($1::bigint[]) and ${waitingSql('r')}
      order by ${queueOrderSql('r')}`,
    [ids, limit],
  );
}
