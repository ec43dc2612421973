import { forEachBounded } from './bounded';
import {
  type InstanceSpec,
  type LaunchedInstance,
  type LaunchOptions,
  type LaunchResult,
  type ProviderInstance,
} from './driver';
import { ProviderError } from './errors';
import { ADOPTABLE_STATES, checkSpecNames } from './ownership';
import { type RetryOptions, withRetry } from './retry';

/** The provider-specific parts of `launch`; `runLaunch` does the rest the same for every driver. */
export interface LaunchSteps {
  /** Specs launched at the same time. */
  parallelism: number;
  retry: RetryOptions;
  /** This installation's instances that carry one of these worker names (one provider call). */
  findExisting(workerNames: string[]): Promise<ProviderInstance[]>;
  /** Creates the instance for one spec, or throws. */
  create(spec: InstanceSpec): Promise<Omit<LaunchedInstance, 'workerName'>>;
  /** Turns anything `create` or `findExisting` threw into a ProviderError. */
  classify(error: unknown): ProviderError;
}

/**
 * Launches each spec once: adopts an owned instance that already stands for the worker,
 * otherwise creates one, retrying `rate_limited` and `transient` failures. Before retrying a
 * transient failure it looks for the worker's instance again, since a request that failed in
 * transit may have created it; a rate-limited request was refused, so it is simply repeated.
 */
export async function runLaunch(specs: InstanceSpec[], opts: LaunchOptions, steps: LaunchSteps): Promise<LaunchResult> {
  const { signal, onProgress } = opts;
  const result: LaunchResult = { launched: [], failed: [] };
  const fail = (workerName: string, error: ProviderError) => {
    result.failed.push({ workerName, error });
    onProgress?.({ type: 'failed', workerName, error });
  };
  const findAdoptable = async (workerNames: string[]) => {
    const existing = await withRetry(() => steps.findExisting(workerNames), { ...steps.retry, signal });
    const byWorker = new Map<string, ProviderInstance>();
    for (const instance of existing) {
      if (instance.workerName !== undefined && ADOPTABLE_STATES.has(instance.state)) {
        byWorker.set(instance.workerName, instance);
      }
    }
    return byWorker;
  };
  const adopt = (workerName: string, instance: ProviderInstance) => {
    result.launched.push({ workerName, instanceId: instance.instanceId, data: { 'instance-id': instance.instanceId, adopted: true } });
    onProgress?.({ type: 'adopted', workerName, instanceId: instance.instanceId });
  };

  const seen = new Set<string>();
  const valid: InstanceSpec[] = [];
  for (const spec of specs) {
    const problem = checkSpecNames(spec);
    if (problem) fail(spec.workerName, problem);
    else if (seen.has(spec.workerName)) {
      fail(spec.workerName, new ProviderError('invalid', `worker "${spec.workerName}" appears twice in one launch`));
    } else {
      seen.add(spec.workerName);
      valid.push(spec);
    }
  }
  if (!valid.length) return result;

  let existing: Map<string, ProviderInstance>;
  try {
    existing = await findAdoptable(valid.map((s) => s.workerName));
  } catch (error) {
    for (const spec of valid) fail(spec.workerName, steps.classify(error));
    return result;
  }

  await forEachBounded(valid, steps.parallelism, async (spec) => {
    const { workerName } = spec;
    const found = existing.get(workerName);
    if (found) return adopt(workerName, found);
    if (signal?.aborted) {
      return fail(workerName, new ProviderError('transient', `launch of ${workerName} aborted before it was requested`));
    }
    try {
      onProgress?.({ type: 'requested', workerName });
      let mayHaveCreated = false;
      const created = await withRetry(
        async () => {
          try {
            if (mayHaveCreated) {
              const again = (await findAdoptable([workerName])).get(workerName);
              if (again) return { adopted: again } as const;
            }
            return { created: await steps.create(spec) } as const;
          } catch (error) {
            throw steps.classify(error);
          }
        },
        {
          ...steps.retry,
          signal,
          onRetry: ({ attempt, delayMs, error }) => {
            // A throttled request was refused unseen; a transient failure may hide a success.
            mayHaveCreated = (error as ProviderError).kind === 'transient';
            onProgress?.({ type: 'retrying', workerName, attempt, delayMs, error: error as ProviderError });
          },
        },
      );
      if (created.adopted) return adopt(workerName, created.adopted);
      result.launched.push({ workerName, ...created.created });
      onProgress?.({ type: 'launched', workerName, instanceId: created.created.instanceId });
    } catch (error) {
      fail(workerName, steps.classify(error));
    }
  });
  return result;
}
