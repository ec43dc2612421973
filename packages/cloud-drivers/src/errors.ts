/**
 * Every failure a driver reports, classified so that callers branch on `kind`, never on text.
 *
 * - `rate_limited`: the provider throttled us; retry after `retryAfterMs` (retryable).
 * - `capacity`: the provider has no capacity for this request right now (Hetzner
 *   `resource_unavailable`, EC2 `InsufficientInstanceCapacity`, spot capacity). Not retryable
 *   here: the caller should choose another server type, location or pool.
 * - `quota`: an account limit is exceeded (Hetzner `limit_exceeded`, EC2 `*LimitExceeded`).
 * - `transient`: 5xx, network trouble, timeouts (retryable).
 * - `auth`: the credentials are wrong or lack permission.
 * - `invalid`: the request (pool specification, image, network…) is wrong; fix the config.
 * - `not_found`: the addressed object does not exist.
 */
export const PROVIDER_ERROR_KINDS = [
  'rate_limited',
  'capacity',
  'quota',
  'transient',
  'auth',
  'invalid',
  'not_found',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'transient']);

export interface ProviderErrorOptions {
  /** The provider's own error code, e.g. `resource_unavailable` or `InsufficientInstanceCapacity`. */
  code?: string;
  /** For `rate_limited`: how long the provider asks us to wait. */
  retryAfterMs?: number;
  /** (Default: true for `rate_limited` and `transient`, false otherwise) */
  retryable?: boolean;
  /** The provider's structured details of the error (Hetzner's `error.details`), redacted. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * A classified provider failure. The message names the operation and the provider's code and
 * never contains credentials or user data: drivers pass provider text through a redactor
 * (`redaction.ts`), and `redactingDriver` passes the whole error through one again.
 */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  readonly code?: string;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.retryable = options.retryable ?? RETRYABLE.has(kind);
    if (options.code !== undefined) this.code = options.code;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.details !== undefined) this.details = options.details;
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
