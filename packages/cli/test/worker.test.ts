import { type WorkerListResult } from '../src/commands/worker/list';
import { type WorkerShowResult } from '../src/commands/worker/show';
import { awsAccount, awsSpecification, cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();

beforeAll(async () => {
  await cli(`account create --data ${await db.yamlFile(awsAccount())}`);
  const spec = await db.yamlFile(awsSpecification());
  for (const pool of ['one', 'two']) {
    await cli(`pool create ${pool} --provider-account aws-main --architectures amd64 --specifications ${spec}`);
  }
  await db.insertWorker('one-001', 'one', { running: true });
  await db.insertWorker('one-002', 'one', { running: false });
  await db.insertWorker('two-001', 'two', { running: true });
});

it('lists every worker, or those of one pool', async () => {
  expect((await cliJson<WorkerListResult>('worker list')).json.map((w) => w.name)).toEqual(['one-001', 'one-002', 'two-001']);
  const { json } = await cliJson<WorkerListResult>('worker list --pool one');
  expect(json.map((w) => [w.name, w.pool, w.instanceCreatedAt !== null])).toEqual([
    ['one-001', 'one', true],
    ['one-002', 'one', false],
  ]);
  expect((await cli('worker list')).stdout).toMatch(/^one-001\s+external\s+one\s+yes/m);
});

it('shows one worker, without any token', async () => {
  const { json, stdout } = await cliJson<WorkerShowResult>('worker show two-001');
  expect(json).toMatchObject({ name: 'two-001', pool: 'two', enabled: true, workerPoolData: null });
  const [token] = await db.query<{ hash: string }>(
    `select t.hash from tokens t join workers w on w.token_id = t.id where w.name = 'two-001'`,
  );
  expect(stdout).not.toContain(token!.hash);
  expect((await cli('worker show two-001')).stdout).not.toContain(token!.hash);
});

it('shows a draining worker as draining, with since when and the reason, in the list and alone', async () => {
  // As the provisioner's drain sets it when the pool's budget is spent.
  await db.query(`update workers set draining_since = '2026-11-30T12:00:00Z', draining_reason = 'DrainOverBudget' where name = 'one-001'`);
  const draining = { since: '2026-11-30T12:00:00.000Z', reason: 'DrainOverBudget' };
  expect((await cliJson<WorkerListResult>('worker list')).json.map((w) => [w.name, w.draining])).toEqual([
    ['one-001', draining],
    ['one-002', null],
    ['two-001', null],
  ]);
  expect((await cliJson<WorkerShowResult>('worker show one-001')).json.draining).toEqual(draining);
  const table = (await cli('worker list')).stdout;
  expect(table).toMatch(/^Name .* Draining\s*$/m);
  expect(table).toMatch(/^one-001 .* since 2026-11-30T12:00:00\.000Z \(DrainOverBudget\)\s*$/m);
  expect(table).toMatch(/^one-002 .* -\s*$/m);
  expect((await cli('worker show one-001')).stdout).toMatch(/^Draining:?\s+since 2026-11-30T12:00:00\.000Z \(DrainOverBudget\)$/m);
});

it('show exits 3 for an unknown worker', async () => {
  const { error, exitCode } = await cli('worker show nope');
  expect(exitCode).toBe(3);
  expect(error?.message).toContain('worker "nope" does not exist');
});
