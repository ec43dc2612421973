import { type CloudDriver, type InstanceSpec, type LaunchOptions, type LaunchProgress, type LaunchResult, type ProviderInstance } from './driver';
import { isProviderError, ProviderError } from './errors';
import { credentialSecrets, makeRedactor, type Redact, redactValue, userDataSecrets } from './redaction';

/**
 * Anything a driver threw or reported, as a ProviderError whose message, code and details went
 * through `redact` (which also caps their length). A value that is not a ProviderError is a bug:
 * it becomes a non-retryable `transient` error, with only its redacted message kept.
 */
export function redactError(error: unknown, redact: Redact): ProviderError {
  if (!isProviderError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ProviderError('transient', `unexpected failure: ${redact(message)}`, { retryable: false });
  }
  const details = error.details === undefined ? undefined : (redactValue(error.details, redact) as Record<string, unknown>);
  return new ProviderError(error.kind, redact(error.message), {
    retryable: error.retryable,
    ...(error.code !== undefined ? { code: redact(error.code) } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    ...(details !== undefined ? { details } : {}),
  });
}

function redactProgress(event: LaunchProgress, redact: Redact): LaunchProgress {
  return 'error' in event ? { ...event, error: redactError(event.error, redact) } : event;
}

/**
 * The driver with every error it returns, throws or reports through `onProgress` passed through
 * one redactor that knows the account's credentials (and, for a launch, the specs' user data).
 * `createDriver` returns drivers wrapped so; wrap any other driver the same way before its
 * errors can reach a decision, a log, CLI output or a page.
 */
export function redactingDriver(driver: CloudDriver, credentials: unknown): CloudDriver {
  const secrets = credentialSecrets(credentials);
  const redact = makeRedactor(secrets);
  const guard = async <T>(call: () => Promise<T>, clean: Redact = redact): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw redactError(error, clean);
    }
  };
  return {
    providerType: driver.providerType,
    async launch(specs: InstanceSpec[], opts: LaunchOptions = {}): Promise<LaunchResult> {
      const clean = makeRedactor([...secrets, ...specs.flatMap((spec) => userDataSecrets(spec.userData))]);
      const { onProgress } = opts;
      const result = await guard(
        () => driver.launch(specs, { ...opts, ...(onProgress ? { onProgress: (event) => onProgress(redactProgress(event, clean)) } : {}) }),
        clean,
      );
      return { launched: result.launched, failed: result.failed.map((f) => ({ workerName: f.workerName, error: redactError(f.error, clean) })) };
    },
    terminate: (instanceId: string) => guard(() => driver.terminate(instanceId)),
    list: (): Promise<ProviderInstance[]> => guard(() => driver.list()),
  };
}
