import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { notifyWorkRequested } from './workRequested';

/**
 * Queues a retry of each given request: a pending copy (same scope, task, data, priorities and
 * requirements) that supersedes it, with retry_count + 1. A request already superseded gets no
 * second retry (a unique index guards it), so a repeat or a race does nothing. Within a
 * transaction, servers are told to dispatch once it commits (WORK_REQUESTED_CHANNEL).
 */
export async function supersedeWorkRequests(
  db: Database,
  ids: string[],
  options: { now?: Date; transaction?: Transaction } = {},
): Promise<{ id: string; supersedes: string }[]> {
  if (!ids.length) return [];
  const rows = await db.sequelize.query<{ id: string; supersedes: string }>(
    `insert into work_requests (scope_id, task_type, task_name, task_data, priority_base, priority_adjustment,
                                requirement_set_id, retry_count, supersedes_id, created_at)
     select scope_id, task_type, task_name, task_data, priority_base, priority_adjustment,
            requirement_set_id, retry_count + 1, id, coalesce($2::timestamptz, now())
       from work_requests where id = any($1::bigint[])
      order by id
     on conflict (supersedes_id) where supersedes_id is not null do nothing
     returning id::text, supersedes_id::text as supersedes`,
    { bind: [ids, options.now ?? null], type: QueryTypes.SELECT, transaction: options.transaction },
  );
  if (rows.length && options.transaction) await notifyWorkRequested(db, rows.map((r) => r.id), options.transaction);
  return rows;
}
