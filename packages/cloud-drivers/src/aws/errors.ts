import { ProviderError, type ProviderErrorKind } from '../errors';

const CAPACITY_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacityOnHost',
  'InsufficientFreeAddressesInSubnet',
  'UnfulfillableCapacity',
  'SpotMaxPriceTooLow',
  'MaxSpotPriceTooLow',
]);
const RATE_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);
const AUTH_CODES = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'OptInRequired',
  'Blocked',
  'ExpiredToken',
  'AccessDenied',
  'AccessDeniedException',
]);
const TRANSIENT_CODES = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'RequestTimeout']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
]);

/** The ProviderError kind of an EC2 error code (from an exception or a CreateFleet `Errors` entry). */
export function awsErrorKind(code: string, httpStatus?: number): ProviderErrorKind {
  if (RATE_CODES.has(code)) return 'rate_limited';
  if (CAPACITY_CODES.has(code)) return 'capacity';
  if (/LimitExceeded$|^MaxSpotInstanceCountExceeded$/.test(code)) return 'quota';
  if (AUTH_CODES.has(code)) return 'auth';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (/\.NotFound$/.test(code)) return 'not_found';
  if (/^(Invalid|Missing|Unknown|Unsupported|Validation|IdempotentParameterMismatch)/.test(code)) return 'invalid';
  if (httpStatus !== undefined && httpStatus >= 500) return 'transient';
  if (httpStatus === 401 || httpStatus === 403) return 'auth';
  return 'invalid';
}

/** Builds the classified error for `operation`, passing the provider's text through `redact`. */
export function awsError(
  operation: string,
  code: string,
  providerMessage: string,
  redact: (text: string) => string,
  httpStatus?: number,
): ProviderError {
  const kind = awsErrorKind(code, httpStatus);
  return new ProviderError(kind, `aws ${operation}: ${redact(code)}: ${redact(providerMessage).slice(0, 500)}`, { code: redact(code) });
}

/**
 * Classifies anything the EC2 client threw. The SDK error is not kept as `cause`: its raw
 * response could be logged along with the ProviderError. SDK service errors carry the EC2 code as `name`;
 * errors without an HTTP response are network trouble (transient) unless unrecognised, which
 * are reported as non-retryable `transient` so a bug is not retried in a loop.
 */
export function classifyAwsError(error: unknown, operation: string, redact: (text: string) => string): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (status !== undefined && e.name) return awsError(operation, e.name, message, redact, status);
  const code = e?.code ?? e?.name ?? 'Error';
  // The SDK wraps some network errors as a plain Error whose message alone names the cause
  // ("AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1").
  const networkCode = NETWORK_CODES.has(code) ? code : [...NETWORK_CODES].find((c) => new RegExp(`\\b${c}\\b`).test(message));
  if (networkCode) {
    return new ProviderError('transient', `aws ${operation}: ${networkCode}: ${redact(message).slice(0, 500)}`, { code: networkCode });
  }
  return new ProviderError('transient', `aws ${operation}: unexpected ${redact(code)}: ${redact(message).slice(0, 500)}`, {
    code: redact(code),
    retryable: false,
  });
}
