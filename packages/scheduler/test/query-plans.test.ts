import { connectDatabase } from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { assignNextForWorker } from '../src';
import { assignRequests } from '../src/sql/assignRequests';
import { lockPlannedWorkers } from '../src/sql/lockPlannedWorkers';
import { addRequest, addScope, addWorker, resetDatabase } from './fixtures';

const ctx = useConnectedDatabase((url) => connectDatabase(url, 2));

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/** Queues `copies` more requests like `id`, each a second younger than the one before. */
async function queueCopies(id: string, copies: number): Promise<void> {
  const [[row]] = (await ctx.db.sequelize.query(
    `select string_agg(quote_ident(column_name), ', ') as columns from information_schema.columns
      where table_schema = current_schema() and table_name = 'work_requests' and column_name not in ('id', 'created_at')`,
  )) as [{ columns: string }[], unknown];
  const { columns } = row!;
  await ctx.db.sequelize.query(
    `insert into work_requests (${columns}, created_at)
     select ${columns}, created_at + n * interval '1 second' from work_requests, generate_series(1, $2::int) as n where id = $1`,
    { bind: [id, copies] },
  );
}

/** The statement starting with `start` that `action` sends, as sent. */
async function statementSent(start: string, action: () => Promise<unknown>): Promise<string> {
  const statements: string[] = [];
  const options = (ctx.db.sequelize as unknown as { options: { logging: unknown } }).options;
  options.logging = (sql: string) => statements.push(sql.replace(/^Executing \([^)]*\): /, ''));
  try {
    await action();
  } finally {
    options.logging = false;
  }
  return statements.find((sql) => sql.startsWith(start))!;
}

/**
 * How many rows of `relation` (as `alias`) the statement `sql` scans when run with `args` (SQL
 * literals), in a transaction rolled back afterwards.
 */
async function rowsRead(sql: string, args: string[], relation: string, alias: string): Promise<number> {
  const plan = await ctx.db.sequelize
    .transaction(async (transaction) => {
      await ctx.db.sequelize.query(`prepare measured as ${sql}`, { transaction });
      const [[row]] = (await ctx.db.sequelize.query(`explain (analyze, format json) execute measured(${args.join(', ')})`, { transaction })) as [
        { 'QUERY PLAN': [{ Plan: PlanNode }] }[],
        unknown,
      ];
      await ctx.db.sequelize.query('deallocate measured', { transaction });
      throw Object.assign(new Error('rolled back'), { plan: row!['QUERY PLAN'][0].Plan });
    })
    .catch((error: { plan?: PlanNode }) => {
      if (!error.plan) throw error;
      return error.plan;
    });
  return nodes(plan)
    .filter((node) => node['Node Type'].endsWith('Scan') && node['Relation Name'] === relation && node.Alias === alias)
    .reduce((sum, node) => sum + node['Actual Rows'] * node['Actual Loops'], 0);
}

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

it("reads the waiting queue only up to the first request the worker can run, however long it is and whatever PostgreSQL's statistics say", async () => {
  const worker = await addWorker(ctx.db, { name: 'w' });
  const first = await addRequest(ctx.db);
  // Statistics taken while one request waited, as when the queue grows faster than autovacuum analyzes.
  await ctx.db.sequelize.query('analyze work_requests');
  await queueCopies(first, 3000);

  // The claim as the worker-initiated path sends it.
  const claim = await statementSent('with state as', async () => expect((await assignNextForWorker(ctx.db, worker))?.id).toBe(first));
  await ctx.db.sequelize.query('update work_requests set worker_id = null where id = $1', { bind: [first] });

  expect(await rowsRead(claim, [worker, '1'], 'work_requests', 'r')).toBe(1);
});

it('reads only the requests it assigns when a pass writes its assignments (300 of 3,001), not the whole queue', async () => {
  const worker = await addWorker(ctx.db, { name: 'w' });
  const first = await addRequest(ctx.db);
  await queueCopies(first, 3000);
  await ctx.db.sequelize.query('analyze work_requests');
  const [planned] = (await ctx.db.sequelize.query('select id::text from work_requests order by id limit 300')) as [{ id: string }[], unknown];
  const ids = `'{${planned.map((r) => r.id).join(',')}}'`;
  const workers = `'{${planned.map(() => worker).join(',')}}'`;

  // The write as a pass sends it.
  const write = await statementSent('with assigned as', () =>
    ctx.db.sequelize.transaction((transaction) => assignRequests(ctx.db, planned.map((r) => ({ workRequestId: r.id, workerId: worker })), transaction)),
  );
  await ctx.db.sequelize.query('update work_requests set worker_id = null');

  expect(await rowsRead(write, [ids, workers, "'buildfleet_work_assigned'"], 'work_requests', 'r')).toBe(300);
});

it("recounts the free slots of the workers a pass planned for from their sessions alone, not every worker's", async () => {
  const workers: string[] = [];
  for (let i = 0; i < 300; i++) workers.push(await addWorker(ctx.db, { name: `w${i}` }));
  await ctx.db.sequelize.query('analyze worker_sessions');

  // The recount as a pass sends it, for the one worker it planned to give work.
  const recount = await statementSent('select w.id, w.free_slots', () =>
    ctx.db.sequelize.transaction(async (transaction) => expect(await lockPlannedWorkers(ctx.db, [workers[0]!], transaction)).toEqual(new Map([[workers[0], 1]]))),
  );

  expect(await rowsRead(recount, [`'{${workers[0]}}'`], 'worker_sessions', 'worker_sessions')).toBe(1);
});
