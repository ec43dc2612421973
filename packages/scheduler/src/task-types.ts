import { mergeRequirements, type Requirements, type TaskType, ValidationError } from '@buildfleet/models';

/**
 * How a task type turns its task data into requirements. Each entry returns
 * the tags and minimums a worker must have; the scheduler adds the request's own
 * `worker_requirements`. To add a task type, add an entry here: nothing else changes.
 */
export type TaskRequirements = (taskData: Record<string, unknown>) => Requirements;

const DEFAULT_BACKEND = 'unshare';

/** `backend: auto` (or none) resolves to unshare, as in Debusine. */
function executorTag(taskData: Record<string, unknown>): string {
  const backend = typeof taskData.backend === 'string' && taskData.backend !== 'auto' ? taskData.backend : DEFAULT_BACKEND;
  return `executor:${backend}`;
}

function hostArchitecture(taskData: Record<string, unknown>): string[] {
  return typeof taskData.host_architecture === 'string' ? [`arch:${taskData.host_architecture}`] : [];
}

/** mmdebstrap and simplesystemimagebuild always check their architecture, so it is required. */
function bootstrapArchitecture(taskName: string): TaskRequirements {
  return (taskData) => {
    const options = taskData.bootstrap_options as { architecture?: unknown } | undefined;
    if (typeof options?.architecture !== 'string') {
      throw ValidationError.single(
        'work request',
        'task_data.bootstrap_options.architecture',
        `${taskName} needs the architecture to bootstrap, e.g. amd64`,
      );
    }
    return { tags: [`task:${taskName}`, `arch:${options.architecture}`], minimums: {} };
  };
}

export const WORKER_TASK_REQUIREMENTS: Record<string, TaskRequirements> = {
  sbuild: (taskData) => {
    const executor = executorTag(taskData);
    return {
      tags: [
        'task:sbuild',
        executor,
        ...hostArchitecture(taskData),
        // sbuild runs through autopkgtest's virt servers for every backend but unshare.
        ...(executor === `executor:${DEFAULT_BACKEND}` ? [] : ['task:autopkgtest']),
      ],
      minimums: {},
    };
  },
  autopkgtest: (taskData) => ({
    tags: ['task:autopkgtest', executorTag(taskData), ...hostArchitecture(taskData)],
    minimums: {},
  }),
  mmdebstrap: bootstrapArchitecture('mmdebstrap'),
  simplesystemimagebuild: bootstrapArchitecture('simplesystemimagebuild'),
  noop: () => ({ tags: ['task:noop'], minimums: {} }),
};

const WORKER_TYPE_FOR: Partial<Record<TaskType, string>> = {
  Worker: 'external',
  Server: 'celery',
  Signing: 'signing',
};

/** Requirements every request of this task type and name has, before its own worker_requirements. */
export function taskRequirements(taskType: TaskType, taskName: string, taskData: Record<string, unknown>): Requirements {
  const workerType = WORKER_TYPE_FOR[taskType];
  if (!workerType) {
    throw ValidationError.single('work request', 'task_type', `${taskType} tasks do not run on workers; use Worker, Server or Signing`);
  }
  const specific =
    taskType === 'Worker'
      ? (WORKER_TASK_REQUIREMENTS[taskName]?.(taskData) ?? {
          tags: [`task:${taskName}`, ...hostArchitecture(taskData)],
          minimums: {},
        })
      : { tags: [`task:${taskType.toLowerCase()}:${taskName}`], minimums: {} };
  return mergeRequirements({ tags: [`worker-type:${workerType}`], minimums: {} }, specific);
}
