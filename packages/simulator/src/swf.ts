import { type Trace, type TraceIssue, TraceError, type TraceJob } from './trace';

/** Which SWF field names a job's scope: its user (field 12), group (13) or application (14). */
export const SWF_SCOPE_FIELDS = { user: 11, group: 12, application: 13 } as const;
export type SwfScopeBy = keyof typeof SWF_SCOPE_FIELDS;

export interface SwfOptions {
  /** Which field maps to a scope. (Default: user) */
  scopeBy?: SwfScopeBy;
  /** Scope name per id of that field; unmapped ids become the scope `<scopeBy>-<id>`. */
  scopes?: Record<string, string>;
  /** The task every job runs. (Default: sbuild) */
  task?: string;
  /** Requirements every job has. (Default: arch:amd64) */
  requirements?: string[];
  /** ISO 8601 instant submit time 0 is mapped to. (Default: the log's UnixStartTime header, else 2026-03-01T00:00:00Z) */
  start?: string;
}

const FIELDS = 18;

/**
 * Reads the Standard Workload Format of the Parallel Workloads Archive: `;` header comments,
 * then one job per line of 18 whitespace-separated numbers. Submit time (field 2, seconds from
 * the log's start) becomes `at`; run time (field 4) the duration; status 1 (completed) `success`, 0 `failure`, others `error`. Jobs without a
 * run time (−1 or 0) are left out and counted. A malformed line is a TraceError with its line number and field.
 */
export function readSwf(content: string, options: SwfOptions = {}): { trace: Trace; skipped: number } {
  const scopeBy = options.scopeBy ?? 'user';
  const issues: TraceIssue[] = [];
  const jobs: TraceJob[] = [];
  let unixStart: number | undefined;
  let skipped = 0;
  content.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (!text) return;
    if (text.startsWith(';')) {
      const header = /^;\s*UnixStartTime:\s*(\d+)/.exec(text);
      if (header) unixStart = Number(header[1]);
      return;
    }
    const fields = text.split(/\s+/);
    if (fields.length !== FIELDS) {
      issues.push({ line, field: '(line)', message: `has ${fields.length} fields; an SWF job line has ${FIELDS} numbers` });
      return;
    }
    const bad = fields.findIndex((f) => !/^-?\d+(\.\d+)?$/.test(f));
    if (bad !== -1) {
      issues.push({ line, field: `field ${bad + 1}`, message: `"${fields[bad]}" is not a number` });
      return;
    }
    const [id, submit, , run] = fields.map(Number) as [number, number, number, number];
    const status = Number(fields[10]);
    if (submit < 0) {
      issues.push({ line, field: 'field 2 (submit time)', message: 'must be seconds ≥ 0' });
      return;
    }
    if (run <= 0) {
      skipped++;
      return;
    }
    const scopeId = fields[SWF_SCOPE_FIELDS[scopeBy]]!;
    jobs.push({
      type: 'job',
      id: String(id),
      at: submit,
      scope: (options.scopes && Object.hasOwn(options.scopes, scopeId) ? options.scopes[scopeId] : undefined) ?? `${scopeBy}-${scopeId}`,
      task: options.task ?? 'sbuild',
      requirements: options.requirements ?? ['arch:amd64'],
      priority: 0,
      duration: run,
      outcome: status === 1 ? 'success' : status === 0 ? 'failure' : 'error',
    });
  });
  if (issues.length) throw new TraceError(issues);
  jobs.sort((a, b) => a.at - b.at);
  const start = options.start ?? (unixStart !== undefined ? new Date(unixStart * 1000).toISOString() : '2026-03-01T00:00:00.000Z');
  return { trace: { meta: { type: 'meta', version: 1, source: 'swf', start }, jobs, faults: [] }, skipped };
}
