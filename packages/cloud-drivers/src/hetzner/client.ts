import { ownValue } from '@buildfleet/models';
import { ProviderError, type ProviderErrorKind } from '../errors';
import { redactValue } from '../redaction';

export const DEFAULT_HETZNER_API_URL = 'https://api.hetzner.cloud/v1';

const KINDS: Record<string, ProviderErrorKind> = {
  rate_limit_exceeded: 'rate_limited',
  resource_unavailable: 'capacity',
  placement_error: 'capacity',
  limit_exceeded: 'quota',
  resource_limit_exceeded: 'quota',
  unauthorized: 'auth',
  forbidden: 'auth',
  token_readonly: 'auth',
  not_found: 'not_found',
  invalid_input: 'invalid',
  json_error: 'invalid',
  uniqueness_error: 'invalid',
  unsupported_error: 'invalid',
  protected: 'invalid',
  locked: 'transient',
  conflict: 'transient',
  server_error: 'transient',
  service_error: 'transient',
  unavailable: 'transient',
  maintenance: 'transient',
  timeout: 'transient',
};

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { fields?: { name?: string; messages?: string[] }[] } & Record<string, unknown> };
}

export interface HetznerClientOptions {
  apiUrl: string;
  token: string;
  /** Per request. (Default: 30000) */
  timeoutMs?: number;
  redact: (text: string) => string;
}

/** `fetch` against the Hetzner Cloud API, with every failure turned into a ProviderError. */
export class HetznerClient {
  private readonly apiUrl: string;

  constructor(private readonly options: HetznerClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
  }

  async request<T>(
    method: string,
    path: string,
    { query, body, redact }: { query?: Record<string, string>; body?: unknown; redact?: (text: string) => string } = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(`${this.apiUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    const what = `hetzner ${method} ${path}`;
    const clean = redact ?? this.options.redact;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const e = error as { name?: string; message?: string; cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message ?? String(error));
      const code = e.cause?.code ?? e.name;
      throw new ProviderError('transient', `${what}: ${clean(reason)}`, code === undefined ? {} : { code: clean(code) });
    }
    const text = await response.text();
    if (response.ok) return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    throw httpError(what, response, text, clean);
  }
}

function httpError(what: string, response: Response, text: string, redact: (text: string) => string): ProviderError {
  let parsed: ErrorBody = {};
  try {
    parsed = JSON.parse(text) as ErrorBody;
  } catch {
    // Not JSON, e.g. a proxy's HTML error page; the status decides.
  }
  const code = parsed.error?.code ?? `http_${response.status}`;
  const fields = (parsed.error?.details?.fields ?? [])
    .map((f) => `${f.name}: ${(f.messages ?? []).join(', ')}`)
    .join('; ');
  const detail = [parsed.error?.message ?? response.statusText, fields].filter(Boolean).join(': ');
  const message = `${what}: ${redact(code)}: ${redact(detail).slice(0, 500)}`;
  const kind: ProviderErrorKind =
    response.status === 429
      ? 'rate_limited'
      : (ownValue(KINDS, code) ??
        (response.status >= 500
          ? 'transient'
          : response.status === 401 || response.status === 403
            ? 'auth'
            : response.status === 404
              ? 'not_found'
              : 'invalid'));
  const retryAfterMs = kind === 'rate_limited' ? rateLimitWaitMs(response.headers) : undefined;
  const details = parsed.error?.details === undefined ? {} : { details: redactValue(parsed.error.details, redact) as Record<string, unknown> };
  return new ProviderError(kind, message, { code: redact(code), ...details, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
}

/**
 * How long to wait after a 429: `Retry-After` if given; otherwise the time until one request is
 * available again. Hetzner refills its bucket gradually, and `RateLimit-Reset` (UNIX seconds) is
 * when it is full, so one request frees up after (reset - now) / (limit - remaining). "Now" is
 * the response's `Date`, the server's clock, so that a skewed local clock does not matter.
 */
export function rateLimitWaitMs(headers: Headers, localNow = Date.now()): number {
  const serverDate = Date.parse(headers.get('Date') ?? '');
  const now = Number.isNaN(serverDate) ? localNow : serverDate;
  const retryAfter = headers.get('Retry-After');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers.get('RateLimit-Reset'));
  const limit = Number(headers.get('RateLimit-Limit'));
  const remaining = Number(headers.get('RateLimit-Remaining') ?? 0);
  if (reset > 0 && limit > remaining) {
    const wait = Math.ceil((reset * 1000 - now) / (limit - remaining));
    if (wait > 0) return wait;
  }
  return 1000;
}
