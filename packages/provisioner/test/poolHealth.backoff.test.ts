import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { backoffSeconds } from '../src';
import { recordPoolFailure, recordPoolSuccess } from '../src/sql/poolHealth';
import { addPool, resetDatabase, useDatabase } from './fixtures';

const database = useDatabase();
let db: Database;
beforeAll(() => {
  db = database.db;
});

it('the backoff recorded after each failed round equals backoffSeconds, doubling up to the maximum, and a success resets it', async () => {
  await resetDatabase(db);
  await addPool(db, { name: 'dummy-a' });
  const [{ id }] = (await db.sequelize.query<{ id: string }>(`select id from worker_pools`, { type: QueryTypes.SELECT })) as [{ id: string }];
  const now = new Date('2026-03-10T00:00:00Z');
  for (const limits of [{ baseSeconds: 60, maxSeconds: 3600 }, { baseSeconds: 7, maxSeconds: 1000 }]) {
    const recorded: number[] = [];
    const expected: number[] = [];
    for (let failures = 1; failures <= 9; failures++) {
      const until = await recordPoolFailure(db, id, { kind: 'capacity', message: 'none left' }, { now, ...limits });
      recorded.push((until.getTime() - now.getTime()) / 1000);
      expected.push(backoffSeconds(failures, limits));
    }
    expect(recorded).toEqual(expected);
    expect(recorded[recorded.length - 1]).toBe(limits.maxSeconds);
    await recordPoolSuccess(db, id, { now });
  }
});
