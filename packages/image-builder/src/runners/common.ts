import { abortableSleep } from '@buildfleet/cloud-drivers';

/** One line of progress: which publish step is running, and what just happened. */
export interface ProgressEvent {
  /** A step name of `plan.publish` (`RunInstances`, `create_image`, `debefivm-create`, ...), or `cleanup`. */
  step: string;
  message: string;
}

export interface RunnerOptions {
  /** Directory the manifest (`manifest.json`) is written to; the local runner writes the disks there too. */
  outputDir: string;
  /** Called for each step and each notable change while the build runs. (Default: nothing) */
  onProgress?: (event: ProgressEvent) => void;
  /** Aborting stops waiting, deletes what the run created, and rejects with the abort reason. */
  signal?: AbortSignal;
  /** (Default: the system clock) */
  now?: () => Date;
}

export interface WaitOptions {
  what: string;
  intervalMs: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Thrown when a build step outlives its timeout. */
export class BuildTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    this.name = 'BuildTimeoutError';
  }
}

/**
 * Polls `check` until it returns a value other than undefined. `check` may throw to end the
 * wait (say, the instance terminated instead of stopping). Aborting rejects with the reason.
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() + options.intervalMs > deadline) throw new BuildTimeoutError(options.what, options.timeoutMs);
    await abortableSleep(options.intervalMs, options.signal);
  }
}

/**
 * Runs the cleanup steps (newest resource first) and returns the messages of those that failed,
 * so the original error can name what is left to delete by hand.
 */
export async function runCleanup(steps: { what: string; run: () => Promise<void> }[], report: (message: string) => void): Promise<string[]> {
  const failures: string[] = [];
  for (const step of [...steps].reverse()) {
    try {
      report(step.what);
      await step.run();
    } catch (error) {
      failures.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}

/** The build failure, with what cleanup could not delete appended. */
export function withCleanupFailures(error: unknown, failures: string[]): unknown {
  if (failures.length === 0 || !(error instanceof Error)) return error;
  error.message += `; cleanup failed, delete by hand: ${failures.join('; ')}`;
  return error;
}

/** `2026-11-28t04-43-00z`-style stamp for names: sortable, and valid in AMI names and Hetzner labels. */
export function nameStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-').toLowerCase();
}
