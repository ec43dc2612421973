import {
  ConflictError,
  type Database,
  generateTokenKey,
  getWorker,
  hashTokenKey,
  NotFoundError,
  ValidationError,
  type WorkerDetailView,
} from '@buildfleet/models';
import { abortWorkRequests } from '@buildfleet/scheduler';
import { QueryTypes, type Transaction } from 'sequelize';
import { workerNameFromFqdn } from './register';

/** NOTIFY channel: payload = id of a worker whose token was disabled; its sessions are closed. */
export const TOKEN_DISABLED_CHANNEL = 'buildfleet_worker_token_disabled';

/** How long an activation token stays usable: long enough for a slow instance boot. (1 hour) */
export const DEFAULT_ACTIVATION_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/**
 * Gives a worker a fresh, enabled activation token valid for `lifetimeMs` and returns its key
 * (shown once, never stored). Any previous activation token is deleted and the worker's own
 * token disabled, closing its session: a fresh activation starts a new instance of the worker.
 * Pass the provisioner's transaction to launch in the same one.
 */
export async function createActivationToken(
  db: Database,
  workerId: string,
  lifetimeMs: number = DEFAULT_ACTIVATION_TOKEN_LIFETIME_MS,
  options: { transaction?: Transaction } = {},
): Promise<string> {
  checkLifetime(lifetimeMs);
  const key = generateTokenKey();
  const run = async (transaction: Transaction) => {
    const [worker] = await db.sequelize.query<{ old_activation_token_id: string | null; token_id: string | null }>(
      `select activation_token_id as old_activation_token_id, token_id from workers where id = $1::bigint for update`,
      { bind: [workerId], type: QueryTypes.SELECT, transaction },
    );
    if (!worker) throw new NotFoundError('worker', workerId);
    await db.sequelize.query(
      `with token as (
         insert into tokens (hash, enabled, expire_at, comment)
         values ($2::text, true, now() + $3::integer * interval '1 millisecond', 'activation token')
         returning id
       )
       update workers set activation_token_id = (select id from token) where id = $1::bigint`,
      { bind: [workerId, hashTokenKey(key), lifetimeMs], transaction },
    );
    if (worker.old_activation_token_id) {
      await db.sequelize.query(`delete from tokens where id = $1::bigint`, { bind: [worker.old_activation_token_id], transaction });
    }
    if (worker.token_id) {
      await disableToken(db, transaction, workerId, 'The worker was given a new activation token while this request was running on it');
    }
  };
  if (options.transaction) await run(options.transaction);
  else await db.sequelize.transaction(run);
  return key;
}

/**
 * Creates a static worker (no pool) named after `fqdn` with an activation token, and returns
 * it with the activation key to put in the machine's /etc/debusine/worker/activation-token.
 * The key is shown once: only its hash is stored. A worker of that name already existing is
 * refused (ValidationError on `fqdn`): `activateStaticWorker` gives it a new token.
 */
export async function createStaticWorker(
  db: Database,
  fqdn: string,
  options: { activationTokenLifetimeMs?: number } = {},
): Promise<{ worker: WorkerDetailView; activationKey: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(fqdn)) {
    throw ValidationError.single('worker', 'fqdn', 'give the host name of the worker machine, e.g. builder1.example.org');
  }
  const lifetimeMs = options.activationTokenLifetimeMs ?? DEFAULT_ACTIVATION_TOKEN_LIFETIME_MS;
  checkLifetime(lifetimeMs);
  const activationKey = generateTokenKey();
  const name = workerNameFromFqdn(fqdn);
  await db.sequelize.transaction(async (transaction) => {
    const [token] = await db.sequelize.query<{ id: string }>(
      `insert into tokens (hash, enabled, expire_at, comment)
       values ($1::text, true, now() + $2::integer * interval '1 millisecond', 'activation token')
       returning id`,
      { bind: [hashTokenKey(activationKey), lifetimeMs], type: QueryTypes.SELECT, transaction },
    );
    const [created] = await db.sequelize.query<{ name: string }>(
      `insert into workers (name, worker_type, activation_token_id) values ($1::text, 'external', $2::bigint)
       on conflict (name) do nothing returning name`,
      { bind: [name, token!.id], type: QueryTypes.SELECT, transaction },
    );
    if (!created) {
      throw ValidationError.single(
        'worker',
        'fqdn',
        `worker "${name}" already exists: give it a new activation token with \`buildfleet worker activate ${name}\``,
      );
    }
  });
  return { worker: await getWorker(db, name), activationKey };
}

/**
 * Enables or disables a worker's token. Disabling also takes back the pending work requests
 * assigned to it (the scheduler gives them to others), aborts and retries its running ones (its
 * completion would be refused) and closes its session through NOTIFY, in whichever process serves it.
 */
export async function setWorkerEnabled(db: Database, name: string, enabled: boolean): Promise<void> {
  await db.sequelize.transaction(async (transaction) => {
    const [worker] = await db.sequelize.query<{ id: string; token_id: string | null }>(
      `select id, token_id from workers where name = $1::text for update`,
      { bind: [name], type: QueryTypes.SELECT, transaction },
    );
    if (!worker) throw new NotFoundError('worker', name, 'see `buildfleet worker list`');
    if (!worker.token_id) {
      throw new ConflictError(`worker "${name}" has not registered yet, so it has no token to ${enabled ? 'enable' : 'disable'}`);
    }
    if (enabled) {
      await db.sequelize.query(`update tokens set enabled = true where id = $1::bigint`, { bind: [worker.token_id], transaction });
    } else {
      await disableToken(db, transaction, worker.id, 'An admin disabled the worker while this request was running on it');
    }
  });
}

/**
 * Creates an enabled token for `debusine` client users and returns its key (shown once). An admin
 * token may also change priorities and see worker metadata on the status UI.
 */
export async function createUserToken(
  db: Database,
  input: { user: string; comment?: string; expiresAt?: Date; admin?: boolean },
): Promise<string> {
  const issues = [
    ...(/^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$/.test(input.user)
      ? []
      : [{ field: 'user', message: 'give a user name of letters, digits and "_.@+-"' }]),
    ...((input.comment ?? '').length <= 100 ? [] : [{ field: 'comment', message: 'keep it to 100 characters' }]),
    ...(input.expiresAt === undefined || input.expiresAt.getTime() > Date.now()
      ? []
      : [{ field: 'expiresAt', message: 'give a time in the future, or none for a token that does not expire' }]),
  ];
  if (issues.length) throw new ValidationError('user token', issues);
  const key = generateTokenKey();
  await db.sequelize.query(
    `insert into tokens (hash, user_name, comment, expire_at, enabled, admin)
     values ($1::text, $2::text, $3::text, $4::timestamptz, true, $5::boolean)`,
    { bind: [hashTokenKey(key), input.user, input.comment ?? '', input.expiresAt ?? null, input.admin ?? false] },
  );
  return key;
}

/**
 * Closes the sessions of a worker whose token was disabled by other means (e.g. when its
 * instance is terminated). Delivered when the caller's transaction commits.
 */
export async function notifyTokenDisabled(db: Database, workerId: string, options: { transaction?: Transaction } = {}): Promise<void> {
  await db.sequelize.query(`select pg_notify($1::text, $2::text)`, {
    bind: [TOKEN_DISABLED_CHANNEL, workerId],
    transaction: options.transaction,
  });
}

async function disableToken(db: Database, transaction: Transaction, workerId: string, reason: string): Promise<void> {
  await db.sequelize.query(
    `with disabled as (
       update tokens set enabled = false where id = (select token_id from workers where id = $1::bigint)
     )
     update work_requests set worker_id = null where worker_id = $1::bigint and status = 'pending'`,
    { bind: [workerId], transaction },
  );
  await abortWorkRequests(db, { workerIds: [workerId] }, { cause: 'worker-failed', reason, transaction });
  await notifyTokenDisabled(db, workerId, { transaction });
}

function checkLifetime(lifetimeMs: number): void {
  if (!Number.isInteger(lifetimeMs) || lifetimeMs <= 0 || lifetimeMs > 2 ** 31 - 1) {
    throw ValidationError.single('activation token', 'lifetimeMs', 'give a whole number of milliseconds above 0, at most 24 days');
  }
}
