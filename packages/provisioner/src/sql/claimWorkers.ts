import { type Database, generateTokenKey, hashTokenKey, NotFoundError, workerPoolLimitsSchema } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';
import { notifySessionsClosed } from './notify';

export interface ClaimedWorker {
  id: string;
  name: string;
  /** The activation token's key: in memory only, for the user data. Only its hash is stored. */
  activationKey: string;
}

export interface ClaimResult {
  workers: ClaimedWorker[];
  /** Live instances of the pool before this claim, and its max_active_instances. */
  live: number;
  max: number | null;
}

/** `<pool>-001`, `<pool>-002`, …: the `count` lowest numbers not taken yet (gaps first). */
export function nextWorkerNames(pool: string, taken: Iterable<string>, count: number): string[] {
  const used = new Set<number>();
  const prefix = `${pool}-`;
  for (const name of taken) {
    const rest = name.slice(prefix.length);
    if (name.startsWith(prefix) && /^[0-9]+$/.test(rest)) used.add(Number(rest));
  }
  const names: string[] = [];
  for (let n = 1; names.length < count; n++) if (!used.has(n)) names.push(`${prefix}${String(n).padStart(3, '0')}`);
  return names;
}

/**
 * Claims up to `count` worker rows of the pool for launching, in one short transaction and
 * never with a cloud call inside it: stopped rows are reused (by name), new `<pool>-NNN` rows
 * fill the gaps. Each gets a fresh activation token (hashed; its lifetime from now), its old
 * tokens are disabled, and `instance_created_at` is set, so the row is live (and counts toward
 * max_active_instances and the month's usage) from here on, with the `image` it launches. The pool row is locked for the
 * count, so concurrent launches never exceed `max_active_instances` unless `force`.
 */
export async function claimWorkers(
  db: Database,
  poolId: string,
  count: number,
  {
    force,
    tokenLifetimeSeconds,
    now,
    image,
  }: { force: boolean; tokenLifetimeSeconds: number; now: Date; /** What the launch uses, recorded on each row. */ image: string | null },
): Promise<ClaimResult> {
  return db.sequelize.transaction(async (transaction) => {
    // Lock first, count after: a count in the locking statement would see the snapshot from
    // before the wait, missing the rows a concurrent claim just committed.
    const [locked] = await db.sequelize.query<{ id: string }>(`select id from worker_pools where id = $1::bigint for update`, {
      bind: [poolId],
      type: QueryTypes.SELECT,
      transaction,
    });
    if (!locked) throw new NotFoundError('worker pool', `#${poolId}`);
    const [pool] = await db.sequelize.query<{ name: string; limits: unknown; live: number }>(
      `select p.name, p.limits,
              (select count(*)::int from workers w where w.worker_pool_id = p.id and w.instance_created_at is not null) as live
         from worker_pools p where p.id = $1::bigint`,
      { bind: [poolId], type: QueryTypes.SELECT, transaction },
    );
    if (!pool) throw new NotFoundError('worker pool', `#${poolId}`);
    const max = workerPoolLimitsSchema.parse(pool.limits).max_active_instances;
    const allowed = force || max === null ? count : Math.max(0, Math.min(count, max - pool.live));
    if (!allowed) return { workers: [], live: pool.live, max };

    const stopped = await db.sequelize.query<{ id: string; name: string; activation_token_id: string | null }>(
      `select id, name, activation_token_id from workers
        where worker_pool_id = $1::bigint and instance_created_at is null
        order by name limit $2::integer for update skip locked`,
      { bind: [poolId, allowed], type: QueryTypes.SELECT, transaction },
    );
    const taken = await db.sequelize.query<{ name: string }>(`select name from workers where starts_with(name, $1::text)`, {
      bind: [`${pool.name}-`],
      type: QueryTypes.SELECT,
      transaction,
    });
    const names = [...stopped.map((w) => w.name), ...nextWorkerNames(pool.name, taken.map((t) => t.name), allowed - stopped.length)];
    const keys = names.map(() => generateTokenKey());
    const rows = await db.sequelize.query<{ id: string; name: string; reused: boolean }>(
      `with wanted as (
         select * from json_to_recordset($1::json) as x(name text, hash text)
       ), tokens as (
         insert into tokens (hash, enabled, expire_at, comment)
         select hash, true, $3::timestamptz + $4::integer * interval '1 second', 'activation token' from wanted
         returning id, hash
       ), old as (
         select w.id, w.name, w.token_id, w.activation_token_id from workers w join wanted on wanted.name = w.name
       ), disabled as (
         update tokens t set enabled = false from old where t.id = old.token_id returning t.id
       ), reused as (
         update workers w
            set activation_token_id = tokens.id, instance_created_at = $3::timestamptz, worker_pool_data = null, image_id = $5::text,
                draining_since = null, draining_reason = null
           from wanted join tokens on tokens.hash = wanted.hash
          where w.name = wanted.name and w.worker_pool_id = $2::bigint
         returning w.id, w.name
       ), created as (
         insert into workers (name, worker_type, worker_pool_id, activation_token_id, instance_created_at, registered_at, image_id)
         select wanted.name, 'external', $2::bigint, tokens.id, $3::timestamptz, $3::timestamptz, $5::text
           from wanted join tokens on tokens.hash = wanted.hash
          where wanted.name not in (select name from old)
         returning id, name
       )
       select id, name, true as reused from reused union all select id, name, false from created`,
      {
        bind: [JSON.stringify(names.map((name, i) => ({ name, hash: hashTokenKey(keys[i]!) }))), poolId, now, tokenLifetimeSeconds, image],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const previous = stopped.map((w) => w.id);
    if (previous.length) {
      await db.sequelize.query(
        `with requeued as (
           update work_requests set worker_id = null where worker_id = any($1::bigint[]) and status = 'pending'
         )
         delete from tokens where id = any($2::bigint[])`,
        { bind: [previous, stopped.flatMap((w) => (w.activation_token_id ? [w.activation_token_id] : []))], transaction },
      );
    }
    await notifySessionsClosed(db, previous, transaction);
    const keyByName = new Map(names.map((name, i) => [name, keys[i]!]));
    return {
      workers: rows.map((r) => ({ id: r.id, name: r.name, activationKey: keyByName.get(r.name)! })),
      live: pool.live,
      max,
    };
  });
}
