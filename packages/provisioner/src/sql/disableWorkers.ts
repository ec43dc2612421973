import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { notifySessionsClosed } from './notify';

/**
 * First step of a termination, before the cloud call: disables the workers' tokens (the
 * scheduler then assigns them nothing more, and their sessions close) and gives their pending
 * work back to the queue. Unless `evenIfBusy`, a worker that has pending or running work by now
 * is left alone: the rows are locked first, so a concurrent dispatch either finished before
 * (and its work is seen) or waits and then skips the disabled worker. Returns the names disabled.
 */
export async function disableWorkers(db: Database, workers: string[], { evenIfBusy }: { evenIfBusy: boolean }): Promise<string[]> {
  if (!workers.length) return [];
  return db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query(`select id from workers where name = any($1::text[]) order by id for update`, {
      bind: [workers],
      transaction,
    });
    const rows = await db.sequelize.query<{ id: string; name: string }>(
      `with chosen as (
         select w.id, w.name, w.token_id, w.activation_token_id from workers w
          where w.name = any($1::text[]) and w.instance_created_at is not null
            and ($2::boolean or not exists (select 1 from work_requests r
                                             where r.worker_id = w.id and r.status in ('pending', 'running')))
       ), disabled as (
         update tokens t set enabled = false from chosen where t.id in (chosen.token_id, chosen.activation_token_id)
       ), requeued as (
         update work_requests r set worker_id = null from chosen where r.worker_id = chosen.id and r.status = 'pending'
       )
       select id, name from chosen`,
      { bind: [workers, evenIfBusy], type: QueryTypes.SELECT, transaction },
    );
    await notifySessionsClosed(db, rows.map((r) => r.id), transaction);
    return rows.map((r) => r.name);
  });
}
