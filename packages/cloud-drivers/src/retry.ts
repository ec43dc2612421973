import { isProviderError } from './errors';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions {
  /** Tries in total, the first one included. (Default: 4) */
  attempts?: number;
  /** Backoff before the second try; doubles with each further try. (Default: 500) */
  baseDelayMs?: number;
  /** Upper bound of the backoff; a provider's `retryAfterMs` may exceed it. (Default: 20000) */
  maxDelayMs?: number;
  /** Stops waiting: the last error is thrown at once. */
  signal?: AbortSignal;
  /** (Default: a timer that an abort of `signal` cuts short) */
  sleep?: Sleep;
  /** Source of jitter in [0, 1). (Default: Math.random) */
  random?: () => number;
  /** Called before each wait, e.g. to report progress. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export type ResolvedRetryOptions = Required<Omit<RetryOptions, 'signal' | 'onRetry'>>;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  sleep: abortableSleep,
  random: Math.random,
};

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The wait before try `attempt + 1`: "equal jitter" exponential backoff (half fixed, half
 * random, so waits never collapse to zero), but never shorter than the provider's retryAfterMs.
 */
export function retryDelayMs(attempt: number, options: ResolvedRetryOptions, retryAfterMs?: number): number {
  const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(backoff / 2 + (backoff / 2) * options.random());
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * Runs `fn` until it succeeds, it throws something that is not a retryable ProviderError, the
 * attempts are used up or `signal` aborts. The last error is rethrown unchanged.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const resolved: ResolvedRetryOptions = {
    attempts: options.attempts ?? DEFAULT_RETRY.attempts,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    sleep: options.sleep ?? DEFAULT_RETRY.sleep,
    random: options.random ?? DEFAULT_RETRY.random,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isProviderError(error) || !error.retryable || attempt >= resolved.attempts || options.signal?.aborted) {
        throw error;
      }
      const delayMs = retryDelayMs(attempt, resolved, error.retryAfterMs);
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await resolved.sleep(delayMs, options.signal);
      } catch {
        throw error;
      }
    }
  }
}
