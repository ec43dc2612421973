import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

export interface QueueRow {
  scope: string;
  taskName: string;
  pending: number;
  running: number;
  /** Creation time of the oldest pending work request of this row, if any is pending. */
  oldestPendingAt: string | null;
}

/** Pending and running work requests by scope and task name, in one aggregate. */
export async function queryQueue(db: Database): Promise<QueueRow[]> {
  const rows = await db.sequelize.query<{
    scope: string;
    task_name: string;
    pending: number;
    running: number;
    oldest_pending_at: Date | null;
  }>(
    `select s.name as scope, r.task_name,
            count(*) filter (where r.status = 'pending')::int as pending,
            count(*) filter (where r.status = 'running')::int as running,
            min(r.created_at) filter (where r.status = 'pending') as oldest_pending_at
       from work_requests r
       join scopes s on s.id = r.scope_id
      where r.status in ('pending', 'running')
      group by s.name, r.task_name
      order by s.name, r.task_name`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    scope: r.scope,
    taskName: r.task_name,
    pending: r.pending,
    running: r.running,
    oldestPendingAt: r.oldest_pending_at?.toISOString() ?? null,
  }));
}
