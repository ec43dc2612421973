import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

/**
 * After the provider answered, in one short transaction: launched workers keep their instance
 * (its data, with `instance-id`, becomes `worker_pool_data`); workers whose launch failed are
 * stopped again, their activation tokens disabled. Returns the names saved: a row that stopped
 * meanwhile is not saved, and reconciliation terminates its instance as an orphan.
 */
export async function saveLaunches(
  db: Database,
  { launched, failed }: { launched: { worker: string; data: Record<string, unknown> }[]; failed: string[] },
): Promise<string[]> {
  return db.sequelize.transaction(async (transaction) => {
    const saved = launched.length
      ? await db.sequelize.query<{ name: string }>(
          `update workers w set worker_pool_data = x.data
             from json_to_recordset($1::json) as x(name text, data jsonb)
            where w.name = x.name and w.instance_created_at is not null
           returning w.name`,
          { bind: [JSON.stringify(launched.map((l) => ({ name: l.worker, data: l.data })))], type: QueryTypes.SELECT, transaction },
        )
      : [];
    if (failed.length) {
      await db.sequelize.query(
        `with stopped as (
           update workers set instance_created_at = null, worker_pool_data = null
            where name = any($1::text[]) and instance_created_at is not null
           returning activation_token_id
         )
         update tokens set enabled = false where id in (select activation_token_id from stopped)`,
        { bind: [failed], transaction },
      );
    }
    return saved.map((s) => s.name);
  });
}
