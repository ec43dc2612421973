import { type Database } from '@buildfleet/models';
import { type Transaction } from 'sequelize';

/**
 * NOTIFY channel: pending work was queued (created or retried) by some process, so servers
 * listening dispatch it at once instead of on their next interval. The payload names the new
 * requests (ids, comma-separated) when they are few enough to place by claims
 * (`placeWorkRequests`); it is empty for a bulk change, which a full pass dispatches.
 */
export const WORK_REQUESTED_CHANNEL = 'buildfleet_work_requested';

/** At most this many requests queued at once are placed by claims; more are a bulk change, for a full pass. */
export const PLACED_BY_CLAIM = 4;

/** Sends WORK_REQUESTED_CHANNEL for the requests `ids` queued, delivered when `transaction` commits. */
export async function notifyWorkRequested(db: Database, ids: string[], transaction: Transaction): Promise<void> {
  const payload = ids.length <= PLACED_BY_CLAIM ? ids.join(',') : '';
  await db.sequelize.query(`select pg_notify($1::text, $2::text)`, { bind: [WORK_REQUESTED_CHANNEL, payload], transaction });
}

/** The requests a WORK_REQUESTED_CHANNEL payload names; none for a bulk change (or a sender that names none). */
export function requestedIds(payload: string): string[] {
  return payload.split(',').filter((id) => /^[1-9][0-9]{0,18}$/.test(id));
}
