import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

/** How long a pool backs off after `consecutiveFailures` failed launch rounds: `baseSeconds × 2^(failures − 1)`, at most `maxSeconds`. */
export function backoffSeconds(consecutiveFailures: number, { baseSeconds, maxSeconds }: { baseSeconds: number; maxSeconds: number }): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** (consecutiveFailures - 1));
}

/**
 * Records a failed launch round of the pool: one more consecutive failure, a backoff of
 * `backoffSeconds` (test/poolHealth.backoff.test.ts proves the SQL equal to it) from `now`, and the error's kind and
 * message (provider text `redactingDriver` already redacted). Returns the end of the backoff.
 */
export async function recordPoolFailure(
  db: Database,
  poolId: string,
  failure: { kind: string; message: string },
  { now, baseSeconds, maxSeconds }: { now: Date; baseSeconds: number; maxSeconds: number },
): Promise<Date> {
  const [row] = await db.sequelize.query<{ backoff_until: Date }>(
    `insert into worker_pool_health as h
            (worker_pool_id, consecutive_failures, backoff_until, last_error_kind, last_error_message, last_error_at)
     values ($1::bigint, 1, $2::timestamptz + least($3::integer, $4::integer) * interval '1 second', $5::text, left($6::text, 2000), $2::timestamptz)
     on conflict (worker_pool_id) do update
        set consecutive_failures = h.consecutive_failures + 1,
            backoff_until = $2::timestamptz + least($4::double precision, $3::integer * 2 ^ h.consecutive_failures) * interval '1 second',
            last_error_kind = excluded.last_error_kind,
            last_error_message = excluded.last_error_message,
            last_error_at = excluded.last_error_at
     returning backoff_until`,
    { bind: [poolId, now, baseSeconds, maxSeconds, failure.kind, failure.message], type: QueryTypes.SELECT },
  );
  return row!.backoff_until;
}

/** Records a launch round in which every launch succeeded: the failure count and backoff reset. */
export async function recordPoolSuccess(db: Database, poolId: string, { now }: { now: Date }): Promise<void> {
  await db.sequelize.query(
    `insert into worker_pool_health as h (worker_pool_id, consecutive_failures, last_success_at)
     values ($1::bigint, 0, $2::timestamptz)
     on conflict (worker_pool_id) do update set consecutive_failures = 0, backoff_until = null, last_success_at = $2::timestamptz`,
    { bind: [poolId, now] },
  );
}

export interface PoolHealthView {
  pool: string;
  consecutiveFailures: number;
  backoffUntil: string | null;
  lastErrorKind: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: string | null;
  lastSuccessAt: string | null;
}

/** Each pool's launch health, for the CLI and the status UI. */
export async function listPoolHealth(db: Database): Promise<PoolHealthView[]> {
  const rows = await db.sequelize.query<{
    pool: string;
    consecutive_failures: number | null;
    backoff_until: Date | null;
    last_error_kind: string | null;
    last_error_message: string | null;
    last_error_at: Date | null;
    last_success_at: Date | null;
  }>(
    `select p.name as pool, h.consecutive_failures, h.backoff_until, h.last_error_kind, h.last_error_message,
            h.last_error_at, h.last_success_at
       from worker_pools p left join worker_pool_health h on h.worker_pool_id = p.id
      order by p.name`,
    { type: QueryTypes.SELECT },
  );
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return rows.map((r) => ({
    pool: r.pool,
    consecutiveFailures: r.consecutive_failures ?? 0,
    backoffUntil: iso(r.backoff_until),
    lastErrorKind: r.last_error_kind,
    lastErrorMessage: r.last_error_message,
    lastErrorAt: iso(r.last_error_at),
    lastSuccessAt: iso(r.last_success_at),
  }));
}
