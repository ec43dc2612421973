import { issuesOf, mergeRequirements, type Requirements, type TaskType, ValidationError } from '@buildfleet/models';
import { type z } from 'zod';
import { BUILDFLEET_TASK_DATA_FIELDS, DEFAULT_BACKEND } from './task-data/common';
import { SERVER_TASK_DATA, SIGNING_TASK_DATA } from './task-data/signing-server-tasks';
import { WORKER_TASK_DATA } from './task-data/worker-tasks';

/**
 * The task contract: the tasks buildfleet knows (Debusine's Worker, Signing and Server tasks),
 * the task data each accepts, the version of each, and the tags a worker needs to run it
 * (after Debusine's `can_run_on`). Looked up by own keys only (a `Map`), so a task name such as
 * `constructor` or `__proto__` is simply unknown.
 */
export interface TaskDefinition {
  type: TaskType;
  name: string;
  /** Debusine's `TASK_VERSION` of the task, or null for a task that has none. */
  version: number | null;
  schema: z.ZodType<Record<string, unknown>>;
  /** Tags needed beyond `worker-type:<type>` and the task's own tag, from its validated data. */
  needs: (data: Record<string, unknown>) => string[];
}

/** The worker type that runs each task type (Debusine's pairs in `can_run_on`). */
const WORKER_TYPE_OF = new Map<TaskType, string>([
  ['Worker', 'external'],
  ['Server', 'celery'],
  ['Signing', 'signing'],
]);

const nothingMore = () => [];

/** `arch:<host_architecture>` when the task data names one. */
function hostArchitecture(data: Record<string, unknown>): string[] {
  return typeof data.host_architecture === 'string' ? [`arch:${data.host_architecture}`] : [];
}

/** `backend: auto` (or none) resolves to unshare, as in Debusine. */
function executorBackend(data: Record<string, unknown>): string {
  return typeof data.backend === 'string' && data.backend !== 'auto' ? data.backend : DEFAULT_BACKEND;
}

/** `available:<what>`: the worker reported `<what>:available` true (the tools are installed). */
const available = (what: string) => `available:${what}`;

/** `arch:<bootstrap_options.architecture>` and the task's tools, for mmdebstrap and simplesystemimagebuild. */
function bootstrap(name: string): TaskDefinition['needs'] {
  return (data) => [`arch:${(data.bootstrap_options as { architecture: string }).architecture}`, available(name)];
}

const WORKER_NEEDS = new Map<string, TaskDefinition['needs']>([
  [
    'sbuild',
    (data) => {
      const backend = executorBackend(data);
      // sbuild runs through autopkgtest's virt servers for every backend but unshare: the worker
      // needs autopkgtest installed, whether or not it runs autopkgtest tasks itself.
      return [
        ...hostArchitecture(data),
        available('sbuild'),
        `executor:${backend}`,
        ...(backend === DEFAULT_BACKEND ? [] : [available('autopkgtest')]),
      ];
    },
  ],
  ['autopkgtest', (data) => [...hostArchitecture(data), available('autopkgtest'), `executor:${executorBackend(data)}`]],
  ['mmdebstrap', bootstrap('mmdebstrap')],
  ['simplesystemimagebuild', bootstrap('simplesystemimagebuild')],
]);

const SIGNING_NEEDS = new Map<string, TaskDefinition['needs']>([
  ['debsign', () => [available('signing:debsign')]],
  // OpenPGP signing is built into the worker; any other key purpose needs its tool (sbsign for UEFI).
  ['sign', (data) => (data.purpose === 'openpgp' ? [] : [available(`signing:sign:${String(data.purpose)}`)])],
]);

/** Debusine's task versions: every task is at version 1 but Signing `generatekey`, which has none. */
const UNVERSIONED = new Set(['Signing/generatekey']);

function definitions(type: TaskType, schemas: Record<string, z.ZodType>): Map<string, TaskDefinition> {
  return new Map(
    Object.entries(schemas).map(([name, schema]) => [
      name,
      {
        type,
        name,
        version: UNVERSIONED.has(`${type}/${name}`) ? null : 1,
        schema: schema as z.ZodType<Record<string, unknown>>,
        needs: type === 'Worker' ? (WORKER_NEEDS.get(name) ?? hostArchitecture) : (SIGNING_NEEDS.get(name) ?? nothingMore),
      },
    ]),
  );
}

const TASKS = new Map<TaskType, Map<string, TaskDefinition>>([
  ['Worker', definitions('Worker', WORKER_TASK_DATA)],
  ['Signing', definitions('Signing', SIGNING_TASK_DATA)],
  ['Server', definitions('Server', SERVER_TASK_DATA)],
]);

/** The names of the tasks buildfleet knows of a task type, sorted. */
export function knownTaskNames(taskType: TaskType): string[] {
  return [...(TASKS.get(taskType)?.keys() ?? [])].sort();
}

/** The definition of a known task, or undefined. */
export function findTask(taskType: TaskType, taskName: string): TaskDefinition | undefined {
  return TASKS.get(taskType)?.get(taskName);
}

/** The tag a worker has when it runs this task: `task:sbuild`, `task:signing:sign`. */
export function taskTag(taskType: TaskType, taskName: string): string {
  return taskType === 'Worker' ? `task:${taskName}` : `task:${taskType.toLowerCase()}:${taskName}`;
}

/**
 * The definition of the task and its validated data, or a ValidationError naming the unknown
 * task (with the known ones) or each field of `task_data` the task refuses.
 */
export function validateTask(
  taskType: TaskType,
  taskName: string,
  taskData: Record<string, unknown>,
): { definition: TaskDefinition; data: Record<string, unknown> } {
  const known = TASKS.get(taskType);
  if (!known) {
    throw ValidationError.single('work request', 'taskType', `${taskType} tasks do not run on workers; use Worker, Server or Signing`);
  }
  const definition = known.get(taskName);
  if (!definition) {
    throw ValidationError.single(
      'work request',
      'taskName',
      `unknown ${taskType} task "${taskName}"; known ${taskType} tasks: ${knownTaskNames(taskType).join(', ')}`,
    );
  }
  const parsed = definition.schema.safeParse(taskData);
  if (!parsed.success) throw new ValidationError('work request', issuesOf(parsed.error, definition.schema, 'task_data'));
  return { definition, data: parsed.data };
}

/** Requirements every request of this task has, before its own worker_requirements; validates the task data first. */
export function taskRequirements(taskType: TaskType, taskName: string, taskData: Record<string, unknown>): Requirements {
  const { definition, data } = validateTask(taskType, taskName, taskData);
  return mergeRequirements({
    tags: [`worker-type:${WORKER_TYPE_OF.get(taskType)!}`, taskTag(taskType, taskName), ...definition.needs(data)],
    minimums: {},
  });
}

/** The task data as the worker receives it: without the fields only buildfleet reads. */
export function workerTaskData(taskData: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(taskData).filter(([key]) => !(BUILDFLEET_TASK_DATA_FIELDS as readonly string[]).includes(key)),
  );
}
