import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { type Assignment } from '../plan-dispatch';

/** NOTIFY channel carrying the id of a worker that was just given work. */
export const WORK_ASSIGNED_CHANNEL = 'buildfleet_work_assigned';

/**
 * Writes planned assignments in one statement, for requests this transaction has locked
 * (`lockWaitingRequests`), so it waits on no one; the guard (still pending, still unassigned)
 * holds for them. Each worker given work is notified on commit. Returns what was assigned.
 * The ids are also matched with `any`, so that the rows (and the workers' names) are fetched
 * through the primary keys: joined to the arrays alone, PostgreSQL hashed the whole tables
 * (45 ms of a pass assigning 2,418 of 100,000 waiting requests to 20,000 workers' free slots).
 */
export async function assignRequests(
  db: Database,
  assignments: readonly Assignment[],
  transaction: Transaction,
): Promise<{ workRequestId: string; workerId: string; workerName: string }[]> {
  if (!assignments.length) return [];
  const rows = await db.sequelize.query<{ id: string; worker_id: string; name: string }>(
    `with assigned as (
       update work_requests r set worker_id = a.worker_id
         from unnest($1::bigint[], $2::bigint[]) as a(id, worker_id)
        where r.id = a.id and r.id = any($1::bigint[]) and r.status = 'pending' and r.worker_id is null
       returning r.id, r.worker_id
     ), notified as (
       select pg_notify($3, worker_id::text) from (select distinct worker_id from assigned) as given
     )
     select a.id, a.worker_id, w.name, (select count(*) from notified) as notifications
       from assigned a join workers w on w.id = a.worker_id and w.id = any($2::bigint[])
      order by a.id`,
    {
      bind: [assignments.map((a) => a.workRequestId), assignments.map((a) => a.workerId), WORK_ASSIGNED_CHANNEL],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return rows.map((r) => ({ workRequestId: r.id, workerId: r.worker_id, workerName: r.name }));
}
