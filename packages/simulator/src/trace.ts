import { mergeRequirements, parseRequirement, parseRequirements, type Requirements } from '@buildfleet/models';
import { knownTaskNames } from '@buildfleet/scheduler';

/**
 * The canonical trace: JSON Lines, a `meta` line first, then one line per job (and optional
 * provider faults). Times are seconds from `meta.start`, so months and budgets fall on real
 * calendar months.
 */
export interface TraceMeta {
  type: 'meta';
  version: 1;
  /** Where the trace came from, e.g. `synthetic:diurnal`. */
  source: string;
  /** ISO 8601 instant the trace's `at` counts from. */
  start: string;
  /** Days the trace covers; the replay runs this long at least. (Default: up to the last arrival) */
  days?: number;
  seed?: number;
}

export const OUTCOMES = ['success', 'failure', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface TraceJob {
  type: 'job';
  id: string;
  /** Seconds from `meta.start` at which the work request is created. */
  at: number;
  scope: string;
  /** A worker task name: the job requires `task:<task>`. */
  task: string;
  /** Further requirements, as work requests state them: `arch:amd64`, `memory_gib>=16`. */
  requirements: string[];
  priority: number;
  /** Seconds the task runs on its worker. */
  duration: number;
  outcome: Outcome;
}

/** A window in which a pool's launches fail for lack of capacity. */
export interface TraceFault {
  type: 'fault';
  pool: string;
  at: number;
  until: number;
  kind: 'capacity';
}

export interface Trace {
  meta: TraceMeta;
  jobs: TraceJob[];
  faults: TraceFault[];
}

export interface TraceIssue {
  line: number;
  field: string;
  message: string;
}

/** A trace that cannot be replayed; every bad line is listed with its line number and field. */
export class TraceError extends Error {
  constructor(readonly issues: TraceIssue[]) {
    super(
      `the trace has ${issues.length} malformed line(s):\n` +
        issues
          .slice(0, 20)
          .map((i) => `  line ${i.line}: ${i.field}: ${i.message}`)
          .join('\n') +
        (issues.length > 20 ? `\n  … and ${issues.length - 20} more` : ''),
    );
    this.name = 'TraceError';
  }
}

type Fields = Record<string, unknown>;

function check(issues: TraceIssue[], line: number, row: Fields, field: string, ok: (v: unknown) => boolean, message: string): boolean {
  if (ok(row[field])) return true;
  issues.push({ line, field, message: row[field] === undefined ? `missing; ${message}` : `${JSON.stringify(row[field])}: ${message}` });
  return false;
}

const seconds = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const text = (v: unknown) => typeof v === 'string' && v.length > 0;

/** Parses a JSON Lines trace; throws TraceError listing every malformed line before anything runs. */
export function parseTrace(content: string): Trace {
  const issues: TraceIssue[] = [];
  const lines = content.split('\n');
  let meta: TraceMeta | undefined;
  const jobs: TraceJob[] = [];
  const faults: TraceFault[] = [];
  const ids = new Set<string>();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let row: Fields;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      row = parsed as Fields;
    } catch {
      issues.push({ line, field: '(line)', message: 'not a JSON object; each line is one object such as {"type":"job",…}' });
      return;
    }
    if (!meta && row.type !== 'meta') {
      issues.push({ line, field: 'type', message: 'the first line must be the meta line {"type":"meta","version":1,"source":…,"start":…}' });
      meta = { type: 'meta', version: 1, source: 'unknown', start: new Date(0).toISOString() };
    }
    if (row.type === 'meta') {
      if (meta) issues.push({ line, field: 'type', message: 'a second meta line; a trace has exactly one, first' });
      const ok = [
        check(issues, line, row, 'version', (v) => v === 1, 'must be 1'),
        check(issues, line, row, 'source', text, 'must be a non-empty string'),
        check(issues, line, row, 'start', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 instant, e.g. 2026-03-01T00:00:00Z'),
        row.days === undefined || check(issues, line, row, 'days', (v) => seconds(v) && (v as number) > 0, 'must be a positive number'),
        row.seed === undefined || check(issues, line, row, 'seed', Number.isInteger, 'must be an integer'),
      ].every(Boolean);
      meta = ok ? (row as unknown as TraceMeta) : { type: 'meta', version: 1, source: 'unknown', start: new Date(0).toISOString() };
    } else if (row.type === 'job') {
      const ok = [
        check(issues, line, row, 'id', text, 'must be a non-empty string'),
        check(issues, line, row, 'at', seconds, 'must be seconds from the meta line\'s start (a number ≥ 0)'),
        check(issues, line, row, 'scope', text, 'must be a scope name'),
        check(issues, line, row, 'task', text, 'must be a task name such as sbuild'),
        check(issues, line, row, 'requirements', (v) => Array.isArray(v) && v.every((r) => typeof r === 'string'), 'must be a list of strings such as ["arch:amd64"]'),
        check(issues, line, row, 'priority', Number.isInteger, 'must be an integer'),
        check(issues, line, row, 'duration', (v) => seconds(v) && (v as number) > 0, 'must be the run time in seconds (> 0)'),
        check(issues, line, row, 'outcome', (v) => (OUTCOMES as readonly unknown[]).includes(v), `must be one of ${OUTCOMES.join(', ')}`),
      ].every(Boolean);
      if (ok) {
        (row.requirements as string[]).forEach((requirement, i) => {
          const parsed = parseRequirement(requirement);
          if ('error' in parsed) issues.push({ line, field: `requirements[${i}]`, message: parsed.error });
        });
      }
      if (ok && ids.has(row.id as string)) issues.push({ line, field: 'id', message: `"${String(row.id)}" is used by an earlier line` });
      else if (ok) {
        ids.add(row.id as string);
        jobs.push(row as unknown as TraceJob);
      }
    } else if (row.type === 'fault') {
      const ok = [
        check(issues, line, row, 'pool', text, 'must be a pool name'),
        check(issues, line, row, 'at', seconds, 'must be seconds from start'),
        check(issues, line, row, 'until', (v) => seconds(v) && (v as number) >= (row.at as number), 'must be seconds from start, not before at'),
        check(issues, line, row, 'kind', (v) => v === 'capacity', 'must be "capacity"'),
      ].every(Boolean);
      if (ok) faults.push(row as unknown as TraceFault);
    } else {
      issues.push({ line, field: 'type', message: 'must be "meta", "job" or "fault"' });
    }
  });
  if (!meta) issues.push({ line: 1, field: 'type', message: 'the trace is empty; it needs a meta line' });
  if (issues.length) throw new TraceError(issues);
  jobs.sort((a, b) => a.at - b.at);
  return { meta: meta!, jobs, faults };
}

/** Writes a trace in its canonical form: the same trace gives the same bytes. */
export function formatTrace(trace: Trace): string {
  const lines = [JSON.stringify(trace.meta), ...trace.jobs.map((j) => JSON.stringify(j)), ...trace.faults.map((f) => JSON.stringify(f))];
  return lines.join('\n') + '\n';
}

/** Names in a trace the replay does not know, each once with how many jobs use it. */
export interface UnknownNames {
  scopes: Record<string, number>;
  tasks: Record<string, number>;
}

export function unknownNames(jobs: readonly TraceJob[], scopes: ReadonlySet<string>): UnknownNames {
  const tasks = new Set(knownTaskNames('Worker'));
  const unknownScopes = new Map<string, number>();
  const unknownTasks = new Map<string, number>();
  for (const job of jobs) {
    if (!scopes.has(job.scope)) unknownScopes.set(job.scope, (unknownScopes.get(job.scope) ?? 0) + 1);
    if (!tasks.has(job.task)) unknownTasks.set(job.task, (unknownTasks.get(job.task) ?? 0) + 1);
  }
  return { scopes: Object.fromEntries([...unknownScopes].sort()), tasks: Object.fromEntries([...unknownTasks].sort()) };
}

/** What a job needs of its worker: what a work request of its task states, plus its own requirements. */
export function jobRequirements(job: TraceJob): Requirements {
  return mergeRequirements(
    { tags: ['worker-type:external', `task:${job.task}`], minimums: {} },
    parseRequirements(job.requirements, `job ${job.id} requirements`),
  );
}
