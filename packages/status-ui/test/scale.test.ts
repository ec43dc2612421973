import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { seedLargeFleet } from '../bench/seed-fleet';
import { authFromHeader, hostApp, SIGNED_IN, useDatabase } from './helpers';
import { seedFleet } from './seed';

const database = useDatabase();

const PAGES = [
  'workers/',
  'workers/?filter-status=running&order=last_seen.desc',
  'workers/?filter-pool=aws-amd64&page=2',
  'workers/aws-amd64-001/',
  'worker-pools/',
  'worker-pools/aws-amd64/',
  'worker-pools/aws-amd64/?filter-status=stopped',
  'queue/',
  'metrics',
];

/** SQL statements each page sends, counted through Sequelize's logging hook. */
async function queriesPerPage(db: Database): Promise<Record<string, number>> {
  const app = hostApp('/', { db, auth: authFromHeader, metrics: true });
  const counts: Record<string, number> = {};
  // Sequelize reads `options.logging` at each query; its typings do not declare the field.
  const options = (db.sequelize as unknown as { options: { logging: false | ((sql: string) => void) } }).options;
  for (const page of PAGES) {
    let count = 0;
    options.logging = () => {
      count += 1;
    };
    try {
      await request(app).get(`/${page}`).set(SIGNED_IN).expect(200);
    } finally {
      options.logging = false;
    }
    counts[page] = count;
  }
  return counts;
}

describe('with a handful of workers and then with 200', () => {
  let few: Record<string, number>;
  let many: Record<string, number>;

  beforeAll(async () => {
    await seedFleet(database.db);
    few = await queriesPerPage(database.db);
    await seedLargeFleet(database.db.sequelize, { prefix: 'many', active: 120, inactive: 80, pool: 'aws-amd64', scope: 'debian' });
    many = await queriesPerPage(database.db);
  });

  it('sends the same number of SQL statements per page', () => {
    expect(many).toEqual(few);
  });

  it('sends a few fixed statements for each page (metrics: one per gauge)', () => {
    expect(many).toEqual({
      'workers/': 3,
      'workers/?filter-status=running&order=last_seen.desc': 3,
      'workers/?filter-pool=aws-amd64&page=2': 3,
      'workers/aws-amd64-001/': 3,
      'worker-pools/': 1,
      'worker-pools/aws-amd64/': 5,
      'worker-pools/aws-amd64/?filter-status=stopped': 5,
      'queue/': 1,
      metrics: 4,
    });
  });
});

describe('paging /workers/', () => {
  const db = () => database.db;
  const json = async (query: string) =>
    (await request(hostApp('/', { db: db() })).get(`/workers/?${query}`).set('Accept', 'application/json').expect(200)).body;

  it('shows 50 workers per page and counts all that match', async () => {
    const first = await json('');
    const active = await db().sequelize.query(
      `select count(*)::int as n from workers where worker_type <> 'celery' and (worker_pool_id is null or instance_created_at is not null)`,
      { plain: true },
    );
    expect(first.rows).toHaveLength(50);
    expect(first.pagination).toEqual({ page: 1, perPage: 50, total: active!.n, pages: Math.ceil(Number(active!.n) / 50) });
  });

  it('continues where the previous page stopped, in the same order', async () => {
    const first = await json('order=name.desc');
    const second = await json('order=name.desc&page=2');
    const expected = await db().sequelize.query<{ name: string }>(
      `select name from workers where worker_type <> 'celery' and (worker_pool_id is null or instance_created_at is not null)
        order by name desc limit 100`,
      { type: QueryTypes.SELECT },
    );
    expect([...first.rows, ...second.rows].map((r: { name: string }) => r.name)).toEqual(expected.map((r) => r.name));
  });

  it('answers an empty page past the end with the true total', async () => {
    const past = await json('page=99');
    expect(past.rows).toEqual([]);
    expect(past.pagination.total).toBeGreaterThan(100);
  });
});
