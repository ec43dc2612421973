import { type FieldIssue, ValidationError } from '@buildfleet/models';
import { type WorkRequestInput } from '@buildfleet/scheduler';
import { readYamlFlags } from './yaml-input';

/** Parsed flags of `work-request create`. */
export interface WorkRequestFlagValues {
  task: string;
  'task-type'?: WorkRequestInput['taskType'];
  data?: string;
  requirement?: string[];
  scope: string;
  priority?: number;
  'priority-adjustment'?: number;
}

/** The flag that gives each top-level field of `WorkRequestInput`, for error messages. */
const FLAG_OF_FIELD = new Map([
  ['scope', '--scope'],
  ['taskName', '--task'],
  ['taskType', '--task-type'],
  ['taskData', '--data'],
  ['worker_requirements', '--requirement'],
  ['priorityBase', '--priority'],
  ['priorityAdjustment', '--priority-adjustment'],
]);

/** The work request the flags describe, with the --data YAML read. */
export async function workRequestInputFromFlags(flags: WorkRequestFlagValues): Promise<WorkRequestInput> {
  const { data } = await readYamlFlags({ data: flags.data });
  return {
    scope: flags.scope,
    taskName: flags.task,
    taskType: flags['task-type'],
    taskData: data as WorkRequestInput['taskData'] | undefined,
    workerRequirements: flags.requirement,
    priorityBase: flags.priority,
    priorityAdjustment: flags['priority-adjustment'],
  };
}

/**
 * Runs `fn`, renaming the fields of a ValidationError it throws to the flags the user typed
 * (`worker_requirements[1]` becomes `--requirement[1]`); fields inside --data keep their YAML path.
 */
export async function namingFlags<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(error.subject, error.issues.map(renameField));
  }
}

function renameField(issue: FieldIssue): FieldIssue {
  const [, name = '', rest = ''] = /^([A-Za-z_]+)(.*)$/.exec(issue.field) ?? [];
  const flag = FLAG_OF_FIELD.get(name);
  return flag ? { ...issue, field: `${flag}${rest}` } : issue;
}
