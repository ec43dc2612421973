import { randomUUID } from 'node:crypto';
import { type Database, NotFoundError } from '@buildfleet/models';
import { hold, launch, listDecisions, listPoolHealth, Reason, recordDecisions } from '../src';
import { addPool, resetDatabase, useDatabase } from './fixtures';

const database = useDatabase();
let db: Database;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  await addPool(db, { name: 'dummy-a' });
});

const disabled = (pending = 3) => hold(Reason.PoolDisabled, { pool: 'dummy-a', pending });
const launched = launch(Reason.LaunchForDemand, { pool: 'dummy-a', scope: 'debian', requirementSet: 'task:noop', count: 1, pending: 1 });

describe('recordDecisions and listDecisions', () => {
  it('records a repeated hold once per dedupe window, but every launch', async () => {
    const t0 = new Date('2026-03-01T12:00:00Z');
    const record = (at: Date, decisions = [disabled(), launched]) =>
      recordDecisions(db, randomUUID(), decisions, { now: at, holdDedupeSeconds: 600 });
    expect(await record(t0)).toBe(2);
    expect(await record(new Date(t0.getTime() + 60_000))).toBe(1);
    expect(await record(new Date(t0.getTime() + 120_000), [disabled(4)])).toBe(1);
    expect(await record(new Date(t0.getTime() + 3_600_000))).toBe(2);
    const listed = await listDecisions(db, { pool: 'dummy-a', limit: 100 });
    expect(listed.map((d) => [d.kind, d.reason, d.count])).toEqual([
      ['hold', Reason.PoolDisabled, 3],
      ['launch', Reason.LaunchForDemand, 1],
      ['hold', Reason.PoolDisabled, 4],
      ['launch', Reason.LaunchForDemand, 1],
      ['hold', Reason.PoolDisabled, 3],
      ['launch', Reason.LaunchForDemand, 1],
    ]);
  });

  it('lists the most recent first, limited, and refuses an unknown pool', async () => {
    await recordDecisions(db, randomUUID(), [launched, disabled()], { now: new Date('2026-03-01T00:00:00Z'), holdDedupeSeconds: 0 });
    await recordDecisions(db, randomUUID(), [disabled(9)], { now: new Date('2026-03-02T00:00:00Z'), holdDedupeSeconds: 0 });
    expect((await listDecisions(db, { limit: 1 })).map((d) => d.count)).toEqual([9]);
    await expect(listDecisions(db, { pool: 'nope' })).rejects.toThrow(NotFoundError);
    await expect(listDecisions(db, { limit: 0 })).rejects.toThrow('limit');
  });
});

describe('listPoolHealth', () => {
  it('lists every pool, one that never failed with no failures and no backoff', async () => {
    expect(await listPoolHealth(db)).toEqual([
      expect.objectContaining({ pool: 'dummy-a', consecutiveFailures: 0, backoffUntil: null, lastErrorKind: null, lastErrorMessage: null }),
    ]);
  });
});
