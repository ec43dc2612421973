import { type Database } from '@buildfleet/models';
import { type Transaction } from 'sequelize';

/**
 * NOTIFY channel, no payload: pending work was queued (created or retried) by some process, so
 * every server listening runs a dispatch pass at once instead of on its next interval.
 */
export const WORK_REQUESTED_CHANNEL = 'buildfleet_work_requested';

/** Sends WORK_REQUESTED_CHANNEL, delivered when `transaction` commits. */
export async function notifyWorkRequested(db: Database, transaction: Transaction): Promise<void> {
  await db.sequelize.query(`select pg_notify($1::text, '')`, { bind: [WORK_REQUESTED_CHANNEL], transaction });
}
