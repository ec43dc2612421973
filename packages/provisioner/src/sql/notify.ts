import { type Database } from '@buildfleet/models';
import { TOKEN_DISABLED_CHANNEL } from '@buildfleet/worker-api';
import { type Transaction } from 'sequelize';

/** Tells the worker API (in whichever process serves them) to close these workers' sessions, on commit. */
export async function notifySessionsClosed(db: Database, workerIds: string[], transaction: Transaction): Promise<void> {
  if (!workerIds.length) return;
  await db.sequelize.query(`select pg_notify($1::text, id::text) from unnest($2::bigint[]) as id`, {
    bind: [TOKEN_DISABLED_CHANNEL, workerIds],
    transaction,
  });
}
