/** Runs looked at per requirement set, as the provisioner's task-duration read does: the last 100 within 30 days. */
const RUNS = 100;
const WINDOW_MS = 30 * 86_400_000;

interface Runs {
  runs: { at: number; seconds: number }[];
  /** The last median computed and until when it holds (the oldest counted run leaves the window then). */
  cached?: { median: number | undefined; until: number };
}

/** Completed run times per requirement set, for the planner's median task seconds. */
export class RecentRuns {
  private bySet = new Map<string, Runs>();

  add(setKey: string, at: number, seconds: number): void {
    const entry = this.bySet.get(setKey) ?? { runs: [] };
    this.bySet.set(setKey, entry);
    entry.runs.push({ at, seconds });
    if (entry.runs.length > RUNS) entry.runs.shift();
    delete entry.cached;
  }

  /** The median (interpolated between the two middle runs, as percentile_cont) or undefined. */
  median(setKey: string, now: number): number | undefined {
    const entry = this.bySet.get(setKey);
    if (!entry) return undefined;
    if (entry.cached && now < entry.cached.until) return entry.cached.median;
    const counted = entry.runs.filter((r) => r.at > now - WINDOW_MS && r.seconds > 0);
    const seconds = counted.map((r) => r.seconds).sort((a, b) => a - b);
    const middle = (seconds.length - 1) / 2;
    const median = seconds.length ? (seconds[Math.floor(middle)]! + seconds[Math.ceil(middle)]!) / 2 : undefined;
    entry.cached = { median, until: counted.length ? Math.min(...counted.map((r) => r.at)) + WINDOW_MS : Infinity };
    return median;
  }
}
