import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

export interface QueueRow {
  scope: string;
  /** The requirement set's canonical text (`arch:amd64 task:sbuild … memory_gib>=16`); empty when none is stored. */
  requirements: string;
  /** Task names queued with these requirements. */
  taskNames: string[];
  pending: number;
  running: number;
  /** Creation time of the oldest pending work request of this row, if any is pending. */
  oldestPendingAt: string | null;
}

/** Pending and running work requests by scope and requirement set, in one aggregate. */
export async function queryQueue(db: Database): Promise<QueueRow[]> {
  const rows = await db.sequelize.query<{
    scope: string;
    requirements: string | null;
    task_names: string[];
    pending: number;
    running: number;
    oldest_pending_at: Date | null;
  }>(
    `select s.name as scope, rs.key as requirements, array_agg(distinct r.task_name order by r.task_name) as task_names,
            count(*) filter (where r.status = 'pending')::int as pending,
            count(*) filter (where r.status = 'running')::int as running,
            min(r.created_at) filter (where r.status = 'pending') as oldest_pending_at
       from work_requests r
       join scopes s on s.id = r.scope_id
       left join requirement_sets rs on rs.id = r.requirement_set_id
      where r.status in ('pending', 'running')
      group by s.name, rs.key
      order by s.name, rs.key`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    scope: r.scope,
    requirements: r.requirements ?? '',
    taskNames: r.task_names,
    pending: r.pending,
    running: r.running,
    oldestPendingAt: r.oldest_pending_at?.toISOString() ?? null,
  }));
}
