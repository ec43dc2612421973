import { defaultGeneratorOptions, formatTrace, generateTrace, parseTrace, TraceError, unknownNames } from '../src';

const META = '{"type":"meta","version":1,"source":"test","start":"2026-03-01T00:00:00Z"}';
const job = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'job', id: 'j1', at: 0, scope: 'debian', task: 'sbuild', requirements: ['arch:amd64'], priority: 0, duration: 60, outcome: 'success', ...fields });

function issuesOf(content: string) {
  try {
    parseTrace(content);
  } catch (error) {
    if (error instanceof TraceError) return error.issues;
    throw error;
  }
  throw new Error('the trace was accepted');
}

describe('reading a trace', () => {
  it('reports every malformed line with its line number and field, before anything runs', () => {
    const issues = issuesOf(
      [META, job(), job({ id: 'j2', duration: -5 }), 'not json', job({ id: 'j3', outcome: 'maybe', at: 'soon' }), job(), job({ id: 'j4', requirements: ['arch:amd64', 'memory_gib=16'] })].join('\n'),
    );
    expect(issues).toEqual([
      { line: 3, field: 'duration', message: expect.stringContaining('run time in seconds') },
      { line: 4, field: '(line)', message: expect.stringContaining('not a JSON object') },
      { line: 5, field: 'at', message: expect.stringContaining('"soon"') },
      { line: 5, field: 'outcome', message: expect.stringContaining('success, failure, error') },
      { line: 6, field: 'id', message: expect.stringContaining('used by an earlier line') },
      { line: 7, field: 'requirements[1]', message: expect.stringContaining('write name>=value') },
    ]);
  });

  it('requires the meta line first', () => {
    expect(issuesOf(job())).toEqual([{ line: 1, field: 'type', message: expect.stringContaining('first line must be the meta line') }]);
    expect(issuesOf('')).toEqual([{ line: 1, field: 'type', message: expect.stringContaining('needs a meta line') }]);
  });

  it('writes back the same bytes it read, jobs in arrival order', () => {
    const text = [META, job({ id: 'b', at: 10 }), job({ id: 'a', at: 5 })].join('\n');
    const trace = parseTrace(text);
    expect(trace.jobs.map((j) => j.id)).toEqual(['a', 'b']);
    expect(formatTrace(parseTrace(formatTrace(trace)))).toBe(formatTrace(trace));
  });

  it('lists unknown scopes and task names once each, with how many jobs use them', () => {
    const trace = parseTrace([META, job(), job({ id: 'j2', scope: 'kali', task: 'sbuild-ng' }), job({ id: 'j3', scope: 'kali' })].join('\n'));
    expect(unknownNames(trace.jobs, new Set(['debian']))).toEqual({ scopes: { kali: 2 }, tasks: { 'sbuild-ng': 1 } });
  });
});

describe('the trace generator', () => {
  const small = defaultGeneratorOptions({ days: 14, jobsPerDay: 100 });

  it('gives the same bytes for the same seed, and another trace for another seed', () => {
    expect(generateTrace(small)).toBe(generateTrace(small));
    expect(generateTrace({ ...small, seed: 7 })).not.toBe(generateTrace(small));
  });

  it('follows the daily and weekly curves, with bursts and long-tailed run times', () => {
    const trace = parseTrace(generateTrace({ ...small, burstsPerWeek: 0 }));
    const hours = new Array<number>(24).fill(0);
    let weekday = 0;
    let weekend = 0;
    for (const j of trace.jobs) {
      const when = new Date(Date.parse(trace.meta.start) + j.at * 1000);
      hours[when.getUTCHours()]!++;
      if (when.getUTCDay() === 0 || when.getUTCDay() === 6) weekend++;
      else weekday++;
    }
    expect(hours[10]!).toBeGreaterThan(4 * hours[3]!);
    expect(weekday / 5).toBeGreaterThan(2 * (weekend / 2));
    const sbuild = trace.jobs.filter((j) => j.task === 'sbuild' && j.scope === 'debian').map((j) => j.duration).sort((a, b) => a - b);
    const median = sbuild[Math.floor(sbuild.length / 2)]!;
    expect(median).toBeGreaterThan(300);
    expect(median).toBeLessThan(560);
    expect(sbuild[sbuild.length - 1]!).toBeGreaterThan(5 * median);

    const withBursts = parseTrace(generateTrace({ ...small, burstsPerWeek: 2, burstSize: 300 }));
    const perTenMinutes = new Map<number, number>();
    for (const j of withBursts.jobs) perTenMinutes.set(Math.floor(j.at / 600), (perTenMinutes.get(Math.floor(j.at / 600)) ?? 0) + 1);
    expect(Math.max(...perTenMinutes.values())).toBeGreaterThanOrEqual(150);
  });
});
