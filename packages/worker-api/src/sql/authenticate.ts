import { type Database, hashTokenKey, queryPrepared, tokenHashesEqual } from '@buildfleet/models';

/** An enabled, unexpired token and what it may act as. */
export interface ValidToken {
  id: string;
  userName: string | null;
  /** A user token an admin created with `token create --admin`. */
  admin: boolean;
  worker: { id: string; name: string; workerPoolId: string | null } | null;
  /** The worker this token activates, when it is an activation token. */
  activatingWorkerId: string | null;
}

// Printable ASCII without spaces; longer keys are refused before hashing.
const KEY = /^[\x21-\x7e]{1,256}$/;

/**
 * How stale `last_seen_at` may get, in seconds. Stamping it on every request made every request
 * a write, committed and flushed; a worker busy with short tasks asks several times a second.
 */
export const LAST_SEEN_RESOLUTION_S = 1;

/**
 * Looks a key up by its sha256 and stamps `last_seen_at` (on disabled tokens too, as Debusine
 * does) when it is older than LAST_SEEN_RESOLUTION_S. The token's state is read on every call,
 * never cached: a disabled or expired token is refused from the next request on. Returns null
 * for a missing, unknown, disabled or expired token.
 */
/** SQL: whether token `t` may be used now: enabled and not expired. */
function usableSql(t: string): string {
  return `(${t}.enabled and (${t}.expire_at is null or ${t}.expire_at > now()))`;
}

/** SQL: whether `last_seen_at` (of the row updated) is older than LAST_SEEN_RESOLUTION_S. */
const LAST_SEEN_STALE_SQL = `(last_seen_at is null or last_seen_at < now() - interval '${LAST_SEEN_RESOLUTION_S} seconds')`;

/** The sha256 of a well-formed key, as tokens store it; null for a missing or malformed one (never valid). */
export function tokenKeyHash(key: string | undefined): string | null {
  return key === undefined || !KEY.test(key) ? null : hashTokenKey(key);
}

/**
 * SQL: the token check of a worker's hot statements, as CTEs to put first in them: `token_worker`
 * (`id`, `name`, `worker_pool_id`: the worker whose usable token has the sha256 `hashSql`; no row for any other
 * key) and the stamp of that token's `last_seen_at`, as authenticateToken does. A statement of
 * the task cycle checks its token this way instead of a statement of its own before it; when it
 * finds no worker, the route answers as requireWorker would (authenticateWorker, the failure
 * path).
 */
export function workerTokenCtesSql(hashSql: string): string {
  return `token_worker as (
       select w.id, w.name, w.worker_pool_id from tokens t join workers w on w.token_id = t.id
        where t.hash = ${hashSql} and ${usableSql('t')}
     ), token_seen as (
       update tokens set last_seen_at = now() where hash = ${hashSql} and ${LAST_SEEN_STALE_SQL}
     )`;
}

export async function authenticateToken(db: Database, key: string | undefined): Promise<ValidToken | null> {
  const hash = tokenKeyHash(key);
  if (hash === null) return null;
  const [row] = await queryPrepared<{
    id: string;
    hash: string;
    usable: boolean;
    user_name: string | null;
    admin: boolean;
    worker_id: string | null;
    worker_name: string | null;
    worker_pool_id: string | null;
    activating_worker_id: string | null;
  }>(db, `with t as (
       select t.id, t.hash, t.user_name, t.admin, ${usableSql('t')} as usable
         from tokens t where t.hash = $1::text
     ), touched as (
       update tokens set last_seen_at = now() where id = (select id from t) and ${LAST_SEEN_STALE_SQL}
     )
     select t.*,
            (select w.id from workers w where w.token_id = t.id) as worker_id,
            (select w.name from workers w where w.token_id = t.id) as worker_name,
            (select w.worker_pool_id from workers w where w.token_id = t.id) as worker_pool_id,
            (select w.id from workers w where w.activation_token_id = t.id) as activating_worker_id
       from t`, [hash]);
  if (!row || !row.usable || !tokenHashesEqual(row.hash, hash)) return null;
  return {
    id: row.id,
    userName: row.user_name,
    admin: row.admin && row.user_name !== null,
    worker: row.worker_id ? { id: row.worker_id, name: row.worker_name!, workerPoolId: row.worker_pool_id } : null,
    activatingWorkerId: row.activating_worker_id,
  };
}

/** A user token's owner and whether it is an admin's, or null for anything else (a worker's token, unknown, disabled, expired). */
export async function authenticateUser(db: Database, key: string | undefined): Promise<{ user: string; admin: boolean } | null> {
  const token = await authenticateToken(db, key);
  if (!token?.userName || token.worker || token.activatingWorkerId) return null;
  return { user: token.userName, admin: token.admin };
}
