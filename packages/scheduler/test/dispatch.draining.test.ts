import { assignNextForWorker, runDispatchPass, settleNextForWorker, startNextForWorker } from '../src';
import { addPool, addRequest, addScope, addWorker, assignmentsByName, resetDatabase, useDatabase } from './fixtures';

const ctx = useDatabase();

const drain = (workerId: string) =>
  ctx.db.sequelize.query(`update workers set draining_since = now(), draining_reason = 'DrainOverBudget' where id = $1`, { bind: [workerId] });

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
  await addPool(ctx.db, { name: 'paris', instanceWide: true });
});

describe('a draining worker', () => {
  it('gets no new work from a dispatch pass; the others do', async () => {
    const draining = await addWorker(ctx.db, { name: 'paris-001', pool: 'paris', connectedAt: new Date('2026-01-01') });
    await addWorker(ctx.db, { name: 'paris-002', pool: 'paris', connectedAt: new Date('2026-01-02') });
    await drain(draining);
    const first = await addRequest(ctx.db);
    await addRequest(ctx.db);
    await runDispatchPass(ctx.db);
    expect(await assignmentsByName(ctx.db)).toEqual({ [first]: 'paris-002' });
  });

  it('claims nothing through get-next-for-worker or per-event dispatch while work waits', async () => {
    const draining = await addWorker(ctx.db, { name: 'paris-001', pool: 'paris' });
    await drain(draining);
    await addRequest(ctx.db);
    expect(await assignNextForWorker(ctx.db, draining)).toBeNull();
    expect(await settleNextForWorker(ctx.db, draining)).toBeNull();
    expect((await startNextForWorker(ctx.db, draining)).started).toBeNull();
    expect(await assignmentsByName(ctx.db)).toEqual({});
  });

  it('still starts the request it was given before it began draining', async () => {
    const draining = await addWorker(ctx.db, { name: 'paris-001', pool: 'paris' });
    const given = await addRequest(ctx.db);
    await addRequest(ctx.db);
    await runDispatchPass(ctx.db);
    await drain(draining);
    expect(await settleNextForWorker(ctx.db, draining)).toBe(given);
    expect((await startNextForWorker(ctx.db, draining)).started?.id).toBe(given);
    await ctx.db.sequelize.query(`update work_requests set status = 'completed', completed_at = now() where id = $1`, { bind: [given] });
    expect((await startNextForWorker(ctx.db, draining)).started).toBeNull();
    expect(Object.keys(await assignmentsByName(ctx.db))).toEqual([given]);
  });
});
