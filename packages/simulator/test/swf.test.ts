import { readSwf, TraceError } from '../src';

const LOG = `; Version: 2.2
; UnixStartTime: 1772323200
;
    1      0   10   3600  4 -1 -1  4  7200 -1 1  3  1  5 1 -1 -1 -1
    2     60    5    -1   4 -1 -1  4  7200 -1 5  3  1  5 1 -1 -1 -1
    3    120    0    900  2 -1 -1  2  1800 -1 0  7  2  6 1 -1 -1 -1
    4     30    0     45  1 -1 -1  1    60 -1 5  9  2  6 1 -1 -1 -1
`;

describe('reading the Standard Workload Format', () => {
  it('maps submit and run time to arrival and duration, and users to scopes through the mapping', () => {
    const { trace, skipped } = readSwf(LOG, { scopes: { '3': 'debian' } });
    expect(skipped).toBe(1);
    expect(trace.meta.start).toBe('2026-03-01T00:00:00.000Z');
    expect(trace.jobs.map((j) => [j.id, j.at, j.scope, j.duration, j.outcome])).toEqual([
      ['1', 0, 'debian', 3600, 'success'],
      ['4', 30, 'user-9', 45, 'error'],
      ['3', 120, 'user-7', 900, 'failure'],
    ]);
  });

  it('maps groups or applications instead when asked', () => {
    expect(readSwf(LOG, { scopeBy: 'group', scopes: { '2': 'ubuntu' } }).trace.jobs.map((j) => j.scope)).toEqual(['group-1', 'ubuntu', 'ubuntu']);
    expect(readSwf(LOG, { scopeBy: 'application' }).trace.jobs.map((j) => j.scope)).toEqual(['application-5', 'application-6', 'application-6']);
  });

  it('reports malformed lines with their line number and field', () => {
    const bad = `${LOG}    5 abc 0 10 1 -1 -1 1 60 -1 1 3 1 5 1 -1 -1 -1\n    6 0 0 10\n`;
    try {
      readSwf(bad);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(TraceError);
      expect((error as TraceError).issues).toEqual([
        { line: 8, field: 'field 2', message: '"abc" is not a number' },
        { line: 9, field: '(line)', message: expect.stringContaining('has 4 fields') },
      ]);
    }
  });
});
