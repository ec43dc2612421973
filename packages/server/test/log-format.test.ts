import { formatRecord } from '../src';

it('prints a pino record as one readable line with its fields', () => {
  expect(formatRecord({ level: 30, time: Date.UTC(2026, 10, 28, 4, 5, 6), msg: 'dispatch pass', pid: 1, assigned: 3, loop: 'schedule' })).toBe(
    '04:05:06 INFO  dispatch pass assigned=3 loop=schedule',
  );
});

it('keeps nested values as JSON', () => {
  expect(formatRecord({ level: 50, time: 0, msg: 'failed', err: { type: 'Error', message: 'x' } })).toBe(
    '00:00:00 ERROR failed err={"type":"Error","message":"x"}',
  );
});
