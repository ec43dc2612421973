import { type Database, queryPrepared } from '@buildfleet/models';
import { waitingSql } from './readDispatchSnapshot';

/** Which of the requests `ids` still wait for a worker (pending, unassigned). */
export async function waitingAmong(db: Database, ids: string[]): Promise<Set<string>> {
  const rows = await queryPrepared<{ id: string }>(db, `select r.id::text as id from work_requests r where r.id = any($1::bigint[]) and ${waitingSql('r')}`, [ids]);
  return new Set(rows.map((row) => row.id));
}
