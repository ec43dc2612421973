import { Reason } from '@buildfleet/provisioner';
import { decisionSections } from '../src/sections';

it("builds the /decisions/ tables from the provisioner's pool health and decisions, with each error's kind and message", () => {
  const [health, latest] = decisionSections(
    [
      { pool: 'healthy', consecutiveFailures: 0, backoffUntil: null, lastErrorKind: null, lastErrorMessage: null, lastErrorAt: null, lastSuccessAt: null },
      {
        pool: 'broken',
        consecutiveFailures: 2,
        backoffUntil: '2026-03-01T12:02:00.000Z',
        lastErrorKind: 'quota',
        lastErrorMessage: 'limit_exceeded',
        lastErrorAt: '2026-03-01T12:00:00.000Z',
        lastSuccessAt: null,
      },
    ],
    [
      {
        id: '1',
        tickId: 't',
        decidedAt: '2026-03-01T12:00:00.000Z',
        kind: 'hold',
        reason: Reason.PoolBackingOff,
        pool: 'broken',
        scope: null,
        requirementSet: null,
        count: 3,
        worker: null,
        message: 'not launching in broken: backing off',
      },
    ],
  );
  expect(health!.rows).toEqual([
    { pool: 'healthy', failures: 0, backoffUntil: null, lastError: null },
    { pool: 'broken', failures: 2, backoffUntil: '2026-03-01T12:02:00.000Z', lastError: 'quota: limit_exceeded' },
  ]);
  expect(latest!.rows).toEqual([
    { decidedAt: '2026-03-01T12:00:00.000Z', kind: 'hold', reason: 'PoolBackingOff', message: 'not launching in broken: backing off' },
  ]);
  expect([health, latest].map((s) => s!.columns.map((c) => c.key))).toEqual([
    ['pool', 'failures', 'backoffUntil', 'lastError'],
    ['decidedAt', 'kind', 'reason', 'message'],
  ]);
});
