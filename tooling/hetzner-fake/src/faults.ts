import { ApiError, ERROR_CODES } from './errors';

/** A scripted failure for the next matching request(s). */
export interface FailRule {
  /** HTTP method to match, e.g. 'POST'. (Default: any) */
  method?: string;
  /**
   * Path to match. A string matches with or without the `/v1` prefix ('/servers' or
   * '/v1/servers'); a RegExp is tested against the full path, e.g. /^\/v1\/servers\/\d+$/.
   * The query string is never part of the path. (Default: any)
   */
  path?: string | RegExp;
  /** HTTP status to answer with, 400–599. */
  status: number;
  /** Error code for the body, e.g. 'rate_limit_exceeded', 'server_error', 'resource_unavailable'. */
  code: string;
  /** (Default: the description of `code` in the API's error table) */
  message?: string;
  /** `details` of the error body. (Default: {}) */
  details?: Record<string, unknown>;
  /** `Retry-After` header in seconds. (Default: 1 for status 429, absent otherwise) */
  retryAfterSeconds?: number;
  /** How many matching requests fail. (Default: 1) */
  times?: number;
}

interface Armed {
  rule: FailRule;
  remaining: number;
}

export class Faults {
  private armed: Armed[] = [];

  add(rule: FailRule): void {
    if (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599) {
      throw new Error(`failNext: status must be an HTTP error status 400–599, got ${rule.status}`);
    }
    if (!rule.code) throw new Error('failNext: code is required, e.g. "server_error"');
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext: times must be a positive integer, got ${times}`);
    this.armed.push({ rule, remaining: times });
  }

  /** The error for this request if an armed rule matches it; consumes one use of that rule. */
  take(method: string, path: string): ApiError | undefined {
    const hit = this.armed.find(({ rule }) => matches(rule, method, path));
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining === 0) this.armed.splice(this.armed.indexOf(hit), 1);
    const { rule } = hit;
    const message = rule.message ?? (ERROR_CODES as Record<string, readonly [number, string]>)[rule.code]?.[1] ?? rule.code;
    const retryAfter = rule.retryAfterSeconds ?? (rule.status === 429 ? 1 : undefined);
    const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
    if (rule.status === 429) headers['RateLimit-Remaining'] = '0';
    return new ApiError(rule.status, rule.code, message, rule.details ?? {}, headers);
  }
}

function matches(rule: FailRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  if (rule.path instanceof RegExp) {
    rule.path.lastIndex = 0;
    return rule.path.test(path);
  }
  return rule.path === path || `/v1${rule.path}` === path;
}
