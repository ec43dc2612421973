import { startOfMonth } from '@buildfleet/provisioner';

const monthOf = (at: number) => startOfMonth(new Date(at)).getTime();
const nextMonth = (month: number) => Date.UTC(new Date(month).getUTCFullYear(), new Date(month).getUTCMonth() + 1, 1);

/** A live instance as month-to-date usage counts it; times are epoch ms. */
export interface LiveUsage {
  launchedAt: number;
  running: { scope: string; startedAt: number } | null;
}

/**
 * Month-to-date usage of the replay, kept the way `readMonthlyUsage` counts it from its
 * statistics rows (test/agreement.test.ts proves them equal): an ended instance's seconds in
 * each UTC month, a completed task's seconds clipped to its completion month, and live
 * instances and running tasks since launch or start, from the month's start at the earliest.
 */
export class UsageBook {
  /** Instance seconds per pool per month start. */
  readonly pools = new Map<string, Map<number, number>>();
  /** Task seconds per `pool|scope` per month start. */
  readonly scopes = new Map<string, Map<number, number>>();

  instanceEnded(pool: string, launchedAt: number, endedAt: number): void {
    for (let from = launchedAt; from < endedAt; ) {
      const next = nextMonth(monthOf(from));
      this.add(this.pools, pool, monthOf(from), (Math.min(endedAt, next) - from) / 1000);
      from = next;
    }
  }

  taskCompleted(pool: string, scope: string, completedAt: number, seconds: number): void {
    const month = monthOf(completedAt);
    this.add(this.scopes, `${pool}|${scope}`, month, Math.min(seconds, (completedAt - month) / 1000));
  }

  usage(pool: string, scopes: Iterable<string>, live: Iterable<LiveUsage>, now: number): { usedSeconds: number; scopeUsedSeconds: Record<string, number> } {
    const month = monthOf(now);
    let usedSeconds = this.pools.get(pool)?.get(month) ?? 0;
    const scopeUsedSeconds: Record<string, number> = {};
    for (const instance of live) {
      usedSeconds += Math.max(0, now - Math.max(instance.launchedAt, month)) / 1000;
      if (instance.running) {
        const { scope, startedAt } = instance.running;
        scopeUsedSeconds[scope] = (scopeUsedSeconds[scope] ?? 0) + Math.max(0, now - Math.max(startedAt, month)) / 1000;
      }
    }
    for (const scope of scopes) {
      const done = this.scopes.get(`${pool}|${scope}`)?.get(month) ?? 0;
      if (done) scopeUsedSeconds[scope] = (scopeUsedSeconds[scope] ?? 0) + done;
    }
    return { usedSeconds, scopeUsedSeconds };
  }

  private add(map: Map<string, Map<number, number>>, key: string, month: number, seconds: number): void {
    const perMonth = map.get(key) ?? new Map<number, number>();
    map.set(key, perMonth);
    perMonth.set(month, (perMonth.get(month) ?? 0) + seconds);
  }
}
