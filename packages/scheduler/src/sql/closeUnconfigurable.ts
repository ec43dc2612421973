import { type Database, type TaskType, ValidationError } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { validateTask } from '../task-types';

/** The error code Debusine gives a request whose task cannot be configured from its data. */
export const CONFIGURE_FAILED = 'configure-failed';

/** Why a request's task cannot be configured from its data, or null when it can. */
export function configureFailure(row: { task_type: TaskType; task_name: string; task_data: Record<string, unknown> | null }): string | null {
  try {
    validateTask(row.task_type, row.task_name, row.task_data ?? {});
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return `Failed to configure: ${error.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
  }
}

/**
 * Debusine's closing rule at scheduling time: of the pending requests a pass or a claim is
 * about to assign (read with their task data by the caller), those whose task data no longer
 * validates against their task's schema (queued before a stricter check, or by an older
 * buildfleet) or whose task is no longer known are completed as `error`, with the validation
 * message as a `configure-failed` error in their output data, instead of being given to a
 * worker that would refuse them. Rows are locked in id order, skipping any another transaction
 * holds (as the assignment does). Returns their ids.
 */
export async function closeUnconfigurable(
  db: Database,
  requests: readonly { id: string; task_type: TaskType; task_name: string; task_data: Record<string, unknown> | null }[],
  transaction?: Transaction,
): Promise<Set<string>> {
  const failures = requests.flatMap((row) => {
    const message = configureFailure(row);
    return message ? [{ id: row.id, message }] : [];
  });
  if (!failures.length) return new Set();
  const closed = await db.sequelize.query<{ id: string }>(
    `with failure as (
       select * from json_to_recordset($1::json) as x(id bigint, message text)
     ), claimed as (
       select r.id from work_requests r
        where r.id in (select id from failure) and r.status = 'pending' and r.worker_id is null
        order by r.id for no key update skip locked
     )
     update work_requests r
        set status = 'completed', result = 'error', completed_at = now(),
            output_data = coalesce(r.output_data, '{}'::jsonb) || jsonb_build_object('errors',
              coalesce(r.output_data -> 'errors', '[]'::jsonb) || jsonb_build_array(jsonb_build_object('message', f.message, 'code', $2::text)))
       from failure f
      where r.id = f.id and r.id in (select id from claimed)
      returning r.id`,
    { bind: [JSON.stringify(failures), CONFIGURE_FAILED], type: QueryTypes.SELECT, transaction },
  );
  return new Set(closed.map((r) => r.id));
}
