import { connectDatabase } from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import { assignNextForWorker } from '../src';
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

it("reads the waiting queue only up to the first request the worker can run, however long it is and whatever PostgreSQL's statistics say", async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
  const worker = await addWorker(ctx.db, { name: 'w' });
  const first = await addRequest(ctx.db);
  // Statistics taken while one request waited, as when the queue grows faster than autovacuum analyzes.
  await ctx.db.sequelize.query('analyze work_requests');
  const [[{ columns }]] = (await ctx.db.sequelize.query(
    `select string_agg(quote_ident(column_name), ', ') as columns from information_schema.columns
      where table_schema = current_schema() and table_name = 'work_requests' and column_name not in ('id', 'created_at')`,
  )) as [{ columns: string }[], unknown];
  await ctx.db.sequelize.query(
    `insert into work_requests (${columns}, created_at)
     select ${columns}, created_at + n * interval '1 second' from work_requests, generate_series(1, 3000) as n where id = $1`,
    { bind: [first] },
  );

  // The claim as the worker-initiated path sends it.
  const statements: string[] = [];
  const options = (ctx.db.sequelize as unknown as { options: { logging: unknown } }).options;
  options.logging = (sql: string) => statements.push(sql);
  try {
    expect((await assignNextForWorker(ctx.db, worker))?.id).toBe(first);
  } finally {
    options.logging = false;
  }
  const claim = statements.find((sql) => sql.startsWith('Executing (prepared): with state as'))!.slice('Executing (prepared): '.length);
  await ctx.db.sequelize.query('update work_requests set worker_id = null where id = $1', { bind: [first] });

  const plan = await ctx.db.sequelize.transaction(async (transaction) => {
    await ctx.db.sequelize.query(`prepare claim as ${claim}`, { transaction });
    const [[row]] = (await ctx.db.sequelize.query(`explain (analyze, format json) execute claim(${worker}, 1)`, { transaction })) as [
      { 'QUERY PLAN': [{ Plan: PlanNode }] }[],
      unknown,
    ];
    await ctx.db.sequelize.query('deallocate claim', { transaction });
    return row!['QUERY PLAN'][0].Plan;
  });
  const read = nodes(plan)
    .filter((node) => node['Relation Name'] === 'work_requests' && node.Alias === 'r')
    .reduce((sum, node) => sum + node['Actual Rows'] * node['Actual Loops'], 0);
  expect(read).toBe(1);
});
