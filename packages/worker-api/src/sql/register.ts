import { type Database, hashTokenKey, type WorkerType } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';

/**
 * Exchanges an activation token for the worker's own token (hash of `newKey`), enabled at
 * once; the activation token and the worker's previous token are deleted. Returns the worker's
 * name, or null when the activation token was spent meanwhile, or when `newKey` is already
 * some token's key.
 */
export async function activateWorker(
  db: Database,
  activationTokenId: string,
  workerId: string,
  newKey: string,
): Promise<string | null> {
  return db.sequelize.transaction(async (transaction) => {
    const query = <T extends object>(sql: string, bind: unknown[]) =>
      db.sequelize.query<T>(sql, { bind, type: QueryTypes.SELECT, transaction });
    const [worker] = await query<{ token_id: string | null }>(
      `select token_id from workers where id = $1::bigint and activation_token_id = $2::bigint for update`,
      [workerId, activationTokenId],
    );
    if (!worker) return null;
    const [token] = await insertToken(transaction, db, newKey, true);
    if (!token) return null;
    const [activated] = await query<{ name: string }>(
      `update workers set token_id = $2::bigint, activation_token_id = null where id = $1::bigint returning name`,
      [workerId, token.id],
    );
    await query(`delete from tokens where id = any($1::bigint[]) returning id`, [
      [activationTokenId, ...(worker.token_id ? [worker.token_id] : [])],
    ]);
    return activated!.name;
  });
}

/**
 * Creates a static worker named after `fqdn` (dots become dashes, `-2`, `-3`… on collision)
 * whose token (hash of `newKey`) stays disabled until an admin enables it. Returns its name;
 * 'duplicate' when `newKey` is already some token's key; 'full' when `maxPending` static
 * workers already wait with a disabled token. Registrations take a transaction-scoped advisory
 * lock, so replicas registering at once cannot overshoot the cap.
 */
export async function registerStaticWorker(
  db: Database,
  registration: { fqdn: string; workerType: WorkerType; newKey: string; maxPending: number },
): Promise<string | 'duplicate' | 'full'> {
  return db.sequelize.transaction(async (transaction) => {
    // The lock first, on its own: a statement's snapshot is taken before it waits on a lock.
    await db.sequelize.query(`select pg_advisory_xact_lock(hashtextextended('buildfleet static worker registration', 0))`, {
      type: QueryTypes.SELECT,
      transaction,
    });
    const [{ pending }] = (await db.sequelize.query<{ pending: number }>(
      `select count(*)::int as pending from workers w join tokens t on t.id = w.token_id
        where w.worker_pool_id is null and not t.enabled`,
      { type: QueryTypes.SELECT, transaction },
    )) as [{ pending: number }];
    if (pending >= registration.maxPending) return 'full';
    const [token] = await insertToken(transaction, db, registration.newKey, false);
    if (!token) return 'duplicate';
    return insertWorkerNamedAfter(db, transaction, registration.fqdn, { tokenId: token.id, workerType: registration.workerType });
  });
}

/** Inserts a worker under the first free name derived from `fqdn`; returns that name. */
export async function insertWorkerNamedAfter(
  db: Database,
  transaction: Transaction,
  fqdn: string,
  worker: { tokenId?: string; activationTokenId?: string; workerType: WorkerType },
): Promise<string> {
  const base = workerNameFromFqdn(fqdn);
  const [row] = await db.sequelize.query<{ name: string }>(
    `with free as (
       select case when n = 1 then $1::text else $1::text || '-' || n end as name
         from generate_series(1, (select count(*) + 1 from workers where name like $1::text || '%')) as n
        where not exists (select 1 from workers
                           where name = case when n = 1 then $1::text else $1::text || '-' || n end)
        order by n limit 1
     )
     insert into workers (name, worker_type, token_id, activation_token_id)
     select name, $2::text, $3::bigint, $4::bigint from free
     returning name`,
    {
      bind: [base, worker.workerType, worker.tokenId ?? null, worker.activationTokenId ?? null],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return row!.name;
}

/** Debusine's `slugify(fqdn.replace('.', '-'))`, kept within the workers.name check. */
export function workerNameFromFqdn(fqdn: string): string {
  const slug = fqdn
    .replace(/\./g, '-')
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .toLowerCase()
    .replace(/[-\s]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 190);
  return /^[a-z0-9]/.test(slug) ? slug : `worker-${slug}`.replace(/-+$/, '');
}

function insertToken(transaction: Transaction, db: Database, key: string, enabled: boolean) {
  return db.sequelize.query<{ id: string }>(
    `insert into tokens (hash, enabled, comment) values ($1::text, $2::boolean, 'worker token')
     on conflict (hash) do nothing
     returning id`,
    { bind: [hashTokenKey(key), enabled], type: QueryTypes.SELECT, transaction },
  );
}
