import { type Database } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';

/** Completed runs looked at per requirement set: the most recent ones within this many days. (30) */
const WINDOW_DAYS = 30;
/** At most this many runs per requirement set. (100) */
const RUNS = 100;

/**
 * The seconds a completed work request `alias` ran: the worker-reported
 * `runtime_statistics.duration` where present (what worker_pool_task_execution_statistics
 * records, but that table does not say which task ran), else completed_at − started_at.
 */
export function taskRunSecondsSql(alias: string): string {
  return `coalesce(case when jsonb_typeof(${alias}.output_data #> '{runtime_statistics,duration}') = 'number'
                        then (${alias}.output_data #>> '{runtime_statistics,duration}')::numeric end,
                   extract(epoch from ${alias}.completed_at - ${alias}.started_at))`;
}

/**
 * Median seconds of recent completed runs per requirement set (`taskRunSecondsSql`).
 * Sets without a run are absent; the planner uses its default for them.
 */
export async function readMedianTaskSeconds(
  db: Database,
  requirementSetIds: string[],
  { now, transaction }: { now: Date; transaction?: Transaction },
): Promise<Record<string, number>> {
  if (!requirementSetIds.length) return {};
  const rows = await db.sequelize.query<{ id: string; median: number }>(
    `with runs as (
       select r.requirement_set_id as id,
              ${taskRunSecondsSql('r')} as seconds,
              row_number() over (partition by r.requirement_set_id order by r.completed_at desc) as n
         from work_requests r
        where r.requirement_set_id = any($1::bigint[]) and r.status = 'completed'
          and r.result in ('success', 'failure') and r.started_at is not null
          and r.completed_at > $2::timestamptz - $3::integer * interval '1 day'
     )
     select id, percentile_cont(0.5) within group (order by seconds) as median
       from runs where n <= $4::integer and seconds > 0
      group by id`,
    { bind: [requirementSetIds, now, WINDOW_DAYS, RUNS], type: QueryTypes.SELECT, transaction },
  );
  return Object.fromEntries(rows.map((r) => [r.id, Number(r.median)]));
}
