import { NUMERIC_VALUE_MAX, parseTag, type TagSet, type TaskType } from '@buildfleet/models';
import { findTask, knownTaskNames, type TaskDefinition, taskTag } from './task-types';

/**
 * The tags a worker reports, from its metadata (static overlaid on dynamic, as Debusine does):
 * - `arch:<a>` for each of `system:architectures` and for `system:host_architecture`;
 * - `worker-type:<t>` from `system:worker_type`;
 * - `executor:<backend>` when `executor:<backend>:available` is true;
 * - `available:<what>` for each other `<what>:available` key that is true, e.g.
 *   `available:sbuild` from `sbuild:available`, `available:signing:sign:uefi` from
 *   `signing:sign:available:uefi` (the tools a task needs are installed);
 * - `task:<name>` (`task:<type>:<name>` for Signing and Server tasks) for each task of the
 *   worker's type whose version the worker reports equal to the version of buildfleet's task
 *   (`taskExclusions` says why the others are missing), a task with no version needing no
 *   version key; kept to `tasks_allowlist` when given, else minus `tasks_denylist`;
 * - numeric `cpus` from `system:cpu_count` and `memory_gib` from `system:total_physical_memory`,
 *   rounded to the nearest GiB (a "16 GiB" machine reports about 15.6 after the kernel's share);
 *   a value that is not a number from 0 to `NUMERIC_VALUE_MAX` counts as not reported, so it
 *   meets no minimum.
 */
export function workerTagsFromMetadata(metadata: Record<string, unknown>): TagSet {
  const plain = new Set<string>();
  const numeric: Record<string, number> = {};
  const add = (name: string) => {
    if (!('error' in parseTag(name))) plain.add(name);
  };
  for (const arch of stringList(metadata['system:architectures'])) add(`arch:${arch}`);
  if (typeof metadata['system:host_architecture'] === 'string') add(`arch:${metadata['system:host_architecture']}`);
  if (typeof metadata['system:worker_type'] === 'string') add(`worker-type:${metadata['system:worker_type']}`);
  const cpus = metadata['system:cpu_count'];
  if (isTagValue(cpus)) numeric.cpus = cpus;
  const memory = metadata['system:total_physical_memory'];
  const memoryGib = typeof memory === 'number' && memory >= 0 ? Math.round(memory / 2 ** 30) : undefined;
  if (isTagValue(memoryGib)) numeric.memory_gib = memoryGib;

  for (const [key, value] of Object.entries(metadata)) {
    if (value !== true) continue;
    const executor = /^executor:([^:]+):available$/.exec(key);
    if (executor) add(`executor:${executor[1]}`);
    const available = /^(.+?):available(?::(.+))?$/.exec(key);
    if (available && !executor) add(`available:${available[1]}${available[2] ? `:${available[2]}` : ''}`);
  }
  for (const { definition, eligible } of taskEligibility(metadata)) {
    if (eligible) add(taskTag(definition.type, definition.name));
  }
  return { plain: [...plain].sort(), numeric };
}

/** Why a worker does not get the tag of a task of its type, as an admin reads it. */
export interface TaskExclusion {
  /** The task's tag, e.g. `task:sbuild`. */
  task: string;
  reason: string;
}

/**
 * The tasks of this worker's type that it reports but may not run, each with why: a version
 * other than buildfleet's (a worker running older or newer code), or its allow or deny list.
 * A task it does not report at all is simply not one of its tasks.
 */
export function taskExclusions(metadata: Record<string, unknown>): TaskExclusion[] {
  return taskEligibility(metadata).flatMap(({ definition, exclusion }) =>
    exclusion ? [{ task: taskTag(definition.type, definition.name), reason: exclusion }] : [],
  );
}

const TASK_TYPE_OF_WORKER = new Map<unknown, TaskType>([
  ['external', 'Worker'],
  ['signing', 'Signing'],
  ['celery', 'Server'],
]);

/** Each task of the worker's type, with why the worker may not run it (undefined if it may). */
function taskEligibility(metadata: Record<string, unknown>): { definition: TaskDefinition; eligible: boolean; exclusion?: string }[] {
  const taskType = TASK_TYPE_OF_WORKER.get(metadata['system:worker_type']);
  if (!taskType) return [];
  const allowlist = metadata.tasks_allowlist === undefined ? undefined : new Set(stringList(metadata.tasks_allowlist));
  const denylist = new Set(stringList(metadata.tasks_denylist));
  return knownTaskNames(taskType).map((name) => {
    const definition = findTask(taskType, name)!;
    const versionKey = taskType === 'Worker' ? `${name}:version` : `${taskType.toLowerCase()}:${name}:version`;
    const reported = Object.hasOwn(metadata, versionKey) ? metadata[versionKey] : undefined;
    if ((reported ?? null) !== definition.version) {
      if (reported === undefined) return { definition, eligible: false };
      const expected = definition.version === null ? 'no version' : `version ${definition.version}`;
      return { definition, eligible: false, exclusion: `reports ${versionKey} ${JSON.stringify(reported)}; buildfleet runs ${name} at ${expected}` };
    }
    if (allowlist ? !allowlist.has(name) : denylist.has(name)) {
      return { definition, eligible: false, exclusion: allowlist ? `${name} is not in its tasks_allowlist` : `${name} is in its tasks_denylist` };
    }
    return { definition, eligible: true };
  });
}

/** Static metadata wins over dynamic metadata, key by key (Debusine's `Worker.metadata()`). */
export function mergedMetadata(worker: {
  staticMetadata: Record<string, unknown>;
  dynamicMetadata: Record<string, unknown>;
}): Record<string, unknown> {
  return { ...worker.dynamicMetadata, ...worker.staticMetadata };
}

function isTagValue(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= NUMERIC_VALUE_MAX;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
