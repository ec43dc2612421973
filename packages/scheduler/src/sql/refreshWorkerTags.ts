import { type Database, parseTags } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { mergedMetadata, workerTagsFromMetadata } from '../metadata-tags';

/**
 * Recomputes `workers.tags` and `workers.numeric_tags` from each worker's metadata and admin
 * tags (pool tags are joined at match time), for the given workers or all. Admin values win.
 * Rows are locked in id order, so two refreshes over overlapping workers cannot deadlock.
 */
export async function refreshWorkerTags(
  db: Database,
  workerIds?: readonly string[],
  transaction?: Transaction,
): Promise<void> {
  const rows = await db.sequelize.query<{
    id: string;
    static_metadata: Record<string, unknown>;
    dynamic_metadata: Record<string, unknown>;
    admin_tags: string[];
  }>(
    `select id, static_metadata, dynamic_metadata, admin_tags from workers
      where $1::bigint[] is null or id = any($1::bigint[])`,
    { bind: [workerIds ?? null], type: QueryTypes.SELECT, transaction },
  );
  if (!rows.length) return;
  const tagged = rows.map((row) => {
    const reported = workerTagsFromMetadata(
      mergedMetadata({ staticMetadata: row.static_metadata, dynamicMetadata: row.dynamic_metadata }),
    );
    const admin = parseTags(row.admin_tags, 'admin_tags', `worker #${row.id}`);
    return {
      id: row.id,
      tags: [...new Set([...reported.plain, ...admin.plain])].sort(),
      numeric: { ...reported.numeric, ...admin.numeric },
    };
  });
  await db.sequelize.query(
    `with locked as (
       select id from workers where id = any($2::bigint[]) order by id for no key update
     )
     update workers w set tags = x.tags, numeric_tags = x.numeric
       from json_to_recordset($1::json) as x(id bigint, tags text[], numeric jsonb)
      where w.id = x.id and w.id in (select id from locked)`,
    { bind: [JSON.stringify(tagged), tagged.map((t) => t.id)], transaction },
  );
}
