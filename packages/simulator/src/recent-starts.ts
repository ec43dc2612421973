import { RECENT_STARTS_SECONDS } from '@buildfleet/provisioner';

/** When each pool's instances started work, for the planner's `recentStarts` (`readRecentStarts` in production). */
export class RecentStarts {
  private byPool = new Map<string, number[]>();

  /** A start at `at` (epoch ms); starts come in time order, as the replay's clock runs. */
  add(pool: string, at: number): void {
    const starts = this.byPool.get(pool) ?? [];
    this.byPool.set(pool, starts);
    starts.push(at);
  }

  /** Starts in the `RECENT_STARTS_SECONDS` before `now`: after its beginning, up to `now`. */
  count(pool: string, now: number): number {
    const starts = this.byPool.get(pool);
    if (!starts) return 0;
    const since = now - RECENT_STARTS_SECONDS * 1000;
    const first = (bound: number) => {
      let lo = 0;
      let hi = starts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= bound) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return first(now) - first(since);
  }
}
