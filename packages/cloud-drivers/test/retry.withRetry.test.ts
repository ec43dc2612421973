import { ProviderError, withRetry } from '../src';

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

function failing(...errors: unknown[]) {
  let calls = 0;
  const fn = async () => {
    const error = errors[calls++];
    if (error) throw error;
    return 'done';
  };
  return { fn, calls: () => calls };
}

describe('withRetry', () => {
  it('retries transient and rate-limited failures until the call succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    const { fn, calls } = failing(new ProviderError('transient', '502'), new ProviderError('rate_limited', '429'));

    await expect(withRetry(fn, { sleep, random: () => 0 })).resolves.toBe('done');

    expect(calls()).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it.each(['capacity', 'quota', 'auth', 'invalid', 'not_found'] as const)('does not retry a %s failure', async (kind) => {
    const { waits, sleep } = recordingSleep();
    const error = new ProviderError(kind, kind);
    const { fn, calls } = failing(error);

    await expect(withRetry(fn, { sleep })).rejects.toBe(error);

    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('does not retry errors that are not ProviderErrors', async () => {
    const { fn, calls } = failing(new TypeError('bug'));
    await expect(withRetry(fn, { sleep: async () => undefined })).rejects.toThrow(TypeError);
    expect(calls()).toBe(1);
  });

  it('doubles the backoff per attempt, with jitter in the upper half, up to maxDelayMs', async () => {
    const transient = () => new ProviderError('transient', 'x');
    const low = recordingSleep();
    const high = recordingSleep();
    const options = { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };

    await expect(withRetry(failing(...Array.from({ length: 6 }, transient)).fn, { ...options, ...low, random: () => 0 })).rejects.toThrow();
    await expect(withRetry(failing(...Array.from({ length: 6 }, transient)).fn, { ...options, ...high, random: () => 0.999999 })).rejects.toThrow();

    expect(low.waits).toEqual([50, 100, 200, 400, 500]);
    expect(high.waits).toEqual([100, 200, 400, 800, 1000]);
  });

  it('waits at least as long as the provider asks, even beyond maxDelayMs', async () => {
    const { waits, sleep } = recordingSleep();
    const { fn } = failing(new ProviderError('rate_limited', 'slow down', { retryAfterMs: 30_000 }));

    await withRetry(fn, { sleep, baseDelayMs: 100, maxDelayMs: 1000 });

    expect(waits).toEqual([30_000]);
  });

  it('gives up after the given number of attempts with the last error', async () => {
    const last = new ProviderError('transient', 'third');
    const { fn, calls } = failing(new ProviderError('transient', 'first'), new ProviderError('transient', 'second'), last);

    await expect(withRetry(fn, { attempts: 3, sleep: async () => undefined })).rejects.toBe(last);
    expect(calls()).toBe(3);
  });

  it('stops waiting when the signal aborts and throws the last provider error', async () => {
    const controller = new AbortController();
    const error = new ProviderError('transient', 'down');
    const { fn, calls } = failing(error, error, error);
    const pending = withRetry(fn, { signal: controller.signal, baseDelayMs: 60_000 });
    setImmediate(() => controller.abort());

    await expect(pending).rejects.toBe(error);
    expect(calls()).toBe(1);
  });
});
