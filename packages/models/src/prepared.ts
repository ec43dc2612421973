import { createHash } from 'node:crypto';
import type pg from 'pg';
import { type Transaction } from 'sequelize';
import { type Database } from './database';

interface Pool {
  getConnection(options: { type: 'SELECT' }): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<void>;
}

const names = new Map<string, string>();

/** The setup statements each connection has run (a connection's session objects live as long as it). */
const setUpOn = new WeakMap<pg.ClientBase, Set<string>>();

/** The statement's name: one per SQL text, so a connection never sees one name with two texts. */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `bf_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}

/**
 * Runs one statement as a named prepared statement, on a connection of the pool or in
 * `transaction`, and returns its rows (typed as Sequelize's raw SELECT rows are). Sequelize
 * sends every statement unnamed, so PostgreSQL parses and plans it on each call; a prepared one
 * is parsed once per connection, and PostgreSQL keeps a generic plan once it is as good. For the
 * statements a worker's task cycle repeats thousands of times (planning the per-worker claim
 * cost about 1 ms, running it 0.15 ms). It is logged through Sequelize's `logging` option as
 * any statement is.
 *
 * `bind` may be a function, called once the statement holds its connection: for values that
 * go stale while it waits for one (what a process knows of the queue, say).
 *
 * `setup` is a statement run once on each connection before the first statement that names it:
 * creating a session's own object the statement uses, such as a `pg_temp` function built from
 * the caller's SQL (planned once per connection, like the statement, and dropped with it).
 */
export async function queryPrepared<T extends object>(
  db: Database,
  sql: string,
  bind: unknown[] | (() => unknown[]),
  transaction?: Transaction,
  { setup }: { setup?: string } = {},
): Promise<T[]> {
  const logging = (db.sequelize as unknown as { options: { logging?: false | ((sql: string) => void) } }).options.logging;
  const name = statementName(sql);
  const run = async (connection: pg.ClientBase, inTransaction: boolean): Promise<T[]> => {
    const query = { name, text: sql, values: typeof bind === 'function' ? bind() : bind };
    if (setup !== undefined && !setUpOn.get(connection)?.has(setup)) {
      if (typeof logging === 'function') logging(`Executing (setup): ${setup}`);
      await connection.query(setup);
      // In a transaction it could still be rolled back: it is run again next time.
      if (!inTransaction) setUpOn.set(connection, (setUpOn.get(connection) ?? new Set<string>()).add(setup));
    }
    if (typeof logging === 'function') logging(`Executing (prepared): ${sql}`);
    return (await connection.query<T>(query)).rows;
  };
  const inTransaction = (transaction as unknown as { connection?: pg.ClientBase } | undefined)?.connection;
  if (inTransaction) return run(inTransaction, true);
  const pool = db.sequelize.connectionManager as unknown as Pool;
  const connection = await pool.getConnection({ type: 'SELECT' });
  try {
    return await run(connection, false);
  } finally {
    await pool.releaseConnection(connection);
  }
}
