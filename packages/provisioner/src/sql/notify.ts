import { type Database, endWorkerLeases } from '@buildfleet/models';
import { TOKEN_DISABLED_CHANNEL } from '@buildfleet/worker-api';
import { type Transaction } from 'sequelize';

/**
 * Ends these workers' session leases, so they count as disconnected at once, and tells the
 * worker API (in whichever process serves them) to close their sessions, on commit.
 */
export async function notifySessionsClosed(db: Database, workerIds: string[], transaction: Transaction): Promise<void> {
  if (!workerIds.length) return;
  await endWorkerLeases(db, workerIds, transaction);
  await db.sequelize.query(`select pg_notify($1::text, id::text) from unnest($2::bigint[]) as id`, {
    bind: [TOKEN_DISABLED_CHANNEL, workerIds],
    transaction,
  });
}
