/** Hetzner's limiter: `limit` requests per window, refilled gradually (3600/hour is +1 per second). */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  headers: { 'RateLimit-Limit': string; 'RateLimit-Remaining': string; 'RateLimit-Reset': string };
}

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly config: RateLimit,
    private readonly clock: () => number,
  ) {
    this.tokens = config.limit;
    this.refilledAt = clock();
  }

  /** Counts one request and reports the headers every response carries. */
  take(): RateLimitVerdict {
    const now = this.clock();
    const perMs = this.config.limit / this.config.windowMs;
    this.tokens = Math.min(this.config.limit, this.tokens + (now - this.refilledAt) * perMs);
    this.refilledAt = now;
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    const fullAt = now + (this.config.limit - this.tokens) / perMs;
    return {
      allowed,
      headers: {
        'RateLimit-Limit': String(this.config.limit),
        'RateLimit-Remaining': String(Math.floor(this.tokens)),
        'RateLimit-Reset': String(Math.ceil(fullAt / 1000)),
      },
    };
  }
}
