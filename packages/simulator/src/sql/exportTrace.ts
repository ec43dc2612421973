import { type Database } from '@buildfleet/models';
import { taskRunSecondsSql } from '@buildfleet/provisioner';
import { QueryTypes } from 'sequelize';
import { formatTrace, type Outcome, type TraceJob } from '../trace';

/**
 * buildfleet's own history as a trace: the worker tasks created in [since, until) that ran to
 * completion, in creation order, each with the run time the planner's median counts
 * (`taskRunSecondsSql`). Requirements leave out what the task itself implies (`worker-type:external`,
 * `task:<name>`), which the replay adds back. Skipped requests never ran and are left out.
 */
export async function exportTrace(db: Database, { since, until }: { since: Date; until: Date }): Promise<{ trace: string; jobs: number }> {
  const rows = await db.sequelize.query<{
    id: string;
    at: string;
    scope: string;
    task_name: string;
    tags: string[] | null;
    minimums: Record<string, number> | null;
    priority: number;
    seconds: string | null;
    result: Outcome;
  }>(
    `select r.id, extract(epoch from r.created_at - $1::timestamptz) as at, s.name as scope, r.task_name,
            rs.tags, rs.minimums, r.priority_base + r.priority_adjustment as priority,
            ${taskRunSecondsSql('r')} as seconds, r.result
       from work_requests r
       join scopes s on s.id = r.scope_id
       left join requirement_sets rs on rs.id = r.requirement_set_id
      where r.status = 'completed' and r.task_type = 'Worker' and r.started_at is not null
        and r.result in ('success', 'failure', 'error')
        and r.created_at >= $1::timestamptz and r.created_at < $2::timestamptz
      order by r.created_at, r.id`,
    { bind: [since, until], type: QueryTypes.SELECT },
  );
  const jobs: TraceJob[] = rows
    .filter((r) => r.seconds !== null && Number(r.seconds) > 0)
    .map((r) => ({
      type: 'job',
      id: String(r.id),
      at: Math.round(Number(r.at) * 1000) / 1000,
      scope: r.scope,
      task: r.task_name,
      requirements: [
        ...(r.tags ?? []).filter((t) => t !== 'worker-type:external' && t !== `task:${r.task_name}`),
        ...Object.entries(r.minimums ?? {}).map(([name, value]) => `${name}>=${value}`),
      ],
      priority: r.priority,
      duration: Math.round(Number(r.seconds) * 1000) / 1000,
      outcome: r.result,
    }));
  const days = Math.round(((until.getTime() - since.getTime()) / 86_400_000) * 1000) / 1000;
  return {
    trace: formatTrace({ meta: { type: 'meta', version: 1, source: 'export:buildfleet', start: since.toISOString(), days }, jobs, faults: [] }),
    jobs: jobs.length,
  };
}
