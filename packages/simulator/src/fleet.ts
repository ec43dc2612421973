import { type ResolvedPool, type ResolvedScope } from './scenario';
import { type TraceJob } from './trace';

/** One simulated instance: live from launch until terminated. Times are epoch ms. */
export interface SimInstance {
  worker: string;
  pool: string;
  instanceId: string;
  launchedAt: number;
  connectedAt: number | null;
  /** Index of the job it runs, if any (one job at a time). */
  job: number | null;
  completed: number;
  lastCompletedAt: number | null;
  busyMs: number;
  /** Since when it drains (gets no new work; the policy ends it once idle), else null. */
  drainingSince: number | null;
  /** The policy's reason for draining it, else null. */
  drainingReason: string | null;
}

export interface SimJob {
  index: number;
  trace: TraceJob;
  /** The requirement set's key, e.g. `arch:amd64 task:sbuild worker-type:external`. */
  setKey: string;
  /** `scope|setKey`: jobs with the same group are planned and matched alike. */
  group: string;
  arrival: number;
  start: number | null;
  end: number | null;
  pool: string | null;
  /** Times a termination took it from its instance and sent it back to the queue. */
  aborted: number;
}

/** What a policy decided in one tick, named like the provisioner's decisions. */
export interface PolicyDecision {
  kind: string;
  reason: string;
  pool: string | null;
  count: number;
  /** What the decision says, where the policy words it (buildfleet's: the provisioner's message). */
  message?: string;
}

export interface PolicyActions {
  launches: { pool: string; count: number }[];
  /** Workers to terminate; policies only pick instances without work. */
  terminations: string[];
  /** Workers that start draining (`reason`) or stop (null), applied before the terminations. (Default: none) */
  drains?: { worker: string; reason: string | null }[];
  decisions: PolicyDecision[];
}

/** The fleet as a policy sees it at one tick, read-only. */
export interface FleetView {
  /** Epoch ms. */
  now: number;
  pools: ReadonlyMap<string, ResolvedPool>;
  scopes: ReadonlyMap<string, ResolvedScope>;
  live(pool: string): readonly SimInstance[];
  /** Pending jobs no instance took yet, in queue order. */
  pending: readonly SimJob[];
  /** Pools able to run the job for its scope, most preferred first. */
  poolsFor(job: SimJob): readonly string[];
  /** Instance seconds this UTC month, live instances included, and task seconds per scope. */
  monthlyUsage(pool: string): { usedSeconds: number; scopeUsedSeconds: Record<string, number> };
  /** Median seconds of recent completed runs of the set, if any ran. */
  medianTaskSeconds(setKey: string): number | undefined;
  /** Work its instances started in the last `RECENT_STARTS_SECONDS`, as the provisioner's `readRecentStarts` counts it. */
  recentStarts(pool: string): number;
  /** The pool's launch health: consecutive failed launch rounds and the end of its backoff (epoch ms). */
  health(pool: string): { consecutiveFailures: number; backoffUntil: number | null };
  /** Seconds since the instance last was busy (or launched), as the planner counts idleness. */
  idleSeconds(instance: SimInstance): number;
}

/** A scaling policy: given the fleet at a tick, what to launch and terminate. */
export interface Policy {
  /** e.g. `buildfleet`, `taskscaler`. */
  name: string;
  /** The knobs it runs with, for reports and sweeps. */
  settings: Record<string, number>;
  /** Seconds between its decisions. (Default: the scenario's tick) */
  tickSeconds?: number;
  decide(view: FleetView): PolicyActions;
}
