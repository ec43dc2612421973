import { type RequestHandler } from 'express';

/**
 * Worker API requests handled at once by default: two fewer than the database connections a
 * server opens (`openDatabase`'s pool of 10), so completions (never held back here), the
 * server's own work (session leases, settles, passes) always find a connection free instead
 * of queueing behind get-next calls. A fleet asks all at once when work is announced (2,000
 * get-next calls in the same second); unbounded, they all wait in the connection pool's queue,
 * holding their half-done state in the heap long enough to be promoted to V8's old generation.
 * At 2,000 busy workers, 32 → 8 took the completion's p95 from 89–100 to 38–40 ms for the
 * same throughput and CPU (the server's README, "Completions first: eight worker requests at once").
 */
export const DEFAULT_MAX_WORKER_REQUESTS = 8;

/**
 * Lets at most `limit` requests through at once; the rest wait their turn in arrival order,
 * before anything of theirs is read, authenticated or queried. A request leaves when its
 * answer is sent or its client went away; one whose client left while waiting is never run.
 * Waiting has no limit of its own: a burst is answered late, not refused.
 */
export class RequestGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a request gate needs a limit of at least 1, not ${limit}`);
  }

  readonly handler: RequestHandler = (_req, res, next) => {
    const enter = () => {
      this.active++;
      res.once('close', () => {
        this.active--;
        this.waiting.shift()?.();
      });
      next();
    };
    if (this.active < this.limit) return enter();
    const turn = () => (res.destroyed ? this.waiting.shift()?.() : enter());
    this.waiting.push(turn);
    res.once('close', () => {
      const at = this.waiting.indexOf(turn);
      if (at >= 0) this.waiting.splice(at, 1);
    });
  };
}
