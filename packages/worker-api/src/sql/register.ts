import { type Database, hashTokenKey, type WorkerType } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';

/**
 * Exchanges an activation token for the worker's own token (hash of `newKey`), enabled at
 * once; the activation token and the worker's previous token are deleted. Returns false when
 * the activation token was spent meanwhile, or when `newKey` is already some token's key.
 */
export async function activateWorker(
  db: Database,
  activationTokenId: string,
  workerId: string,
  newKey: string,
): Promise<boolean> {
  return db.sequelize.transaction(async (transaction) => {
    const query = <T extends object>(sql: string, bind: unknown[]) =>
      db.sequelize.query<T>(sql, { bind, type: QueryTypes.SELECT, transaction });
    const [worker] = await query<{ token_id: string | null }>(
      `select token_id from workers where id = $1::bigint and activation_token_id = $2::bigint for update`,
      [workerId, activationTokenId],
    );
    if (!worker) return false;
    const [token] = await insertToken(transaction, db, newKey, true);
    if (!token) return false;
    await query(`update workers set token_id = $2::bigint, activation_token_id = null where id = $1::bigint returning id`, [
      workerId,
      token.id,
    ]);
    await query(`delete from tokens where id = any($1::bigint[]) returning id`, [
      [activationTokenId, ...(worker.token_id ? [worker.token_id] : [])],
    ]);
    return true;
  });
}

/**
 * Creates a static worker named after `fqdn` (dots become dashes, `-2`, `-3`… on collision)
 * whose token (hash of `newKey`) stays disabled until an admin enables it. Returns its name,
 * or null when `newKey` is already some token's key.
 */
export async function registerStaticWorker(
  db: Database,
  fqdn: string,
  workerType: WorkerType,
  newKey: string,
): Promise<string | null> {
  return db.sequelize.transaction(async (transaction) => {
    const [token] = await insertToken(transaction, db, newKey, false);
    if (!token) return null;
    return insertWorkerNamedAfter(db, transaction, fqdn, { tokenId: token.id, workerType });
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
