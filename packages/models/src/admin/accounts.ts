import { QueryTypes } from 'sequelize';
import { type Database } from '../database';
import { ConflictError, NotFoundError } from '../errors';
import { type ProviderType } from '../schemas/common';
import { type ProviderAccountData, providerAccountDataSchema } from '../schemas/accounts';
import { accountCredentialsContext, prependNewKey, type SecretKeys, secretKeysFromFile } from '../secretKeys';
import { parseInput } from '../validation';

/** What may be shown of an account: never its credentials. */
export interface ProviderAccountView {
  name: string;
  providerType: ProviderType;
  configuration: Record<string, unknown>;
  /** Names of the credential fields that are set, without their values. */
  credentialFields: string[];
  pools: string[];
  createdAt: string;
  updatedAt: string;
}

/** Creates the account, or updates the one with that name (idempotent on name). */
export async function upsertProviderAccount(
  db: Database,
  input: unknown,
): Promise<{ account: ProviderAccountView; created: boolean }> {
  const data = parseInput(providerAccountDataSchema, input, 'provider account data');
  const sealed = {
    sealedCredentials: db.secrets.seal(data.credentials, accountCredentialsContext(data.name)),
    credentialFields: Object.keys(data.credentials).sort(),
  };
  const { ProviderAccount, WorkerPool } = db.models;
  const created = await db.sequelize.transaction(async (transaction) => {
    const existing = await ProviderAccount.findOne({ where: { name: data.name }, transaction, lock: true });
    if (!existing) {
      await ProviderAccount.create(
        {
          name: data.name,
          providerType: data.provider_type,
          configuration: data.configuration,
          ...sealed,
        },
        { transaction },
      );
      return true;
    }
    if (existing.providerType !== data.provider_type) {
      const pools = await WorkerPool.findAll({ where: { providerAccountId: existing.id }, transaction });
      if (pools.length) {
        throw new ConflictError(
          `provider_type: account "${data.name}" is ${existing.providerType} and used by pools ` +
            `${pools.map((p) => p.name).join(', ')}; create a new account for ${data.provider_type} instead`,
        );
      }
    }
    await existing.update(
      {
        providerType: data.provider_type,
        configuration: data.configuration,
        ...sealed,
        updatedAt: new Date(),
      },
      { transaction },
    );
    return false;
  });
  return { account: await getProviderAccount(db, data.name), created };
}

export async function listProviderAccounts(db: Database): Promise<ProviderAccountView[]> {
  return queryAccounts(db);
}

export async function getProviderAccount(db: Database, name: string): Promise<ProviderAccountView> {
  const [account] = await queryAccounts(db, name);
  if (!account) throw new NotFoundError('provider account', name, 'see `buildfleet account list`');
  return account;
}

export async function deleteProviderAccount(db: Database, name: string): Promise<void> {
  const account = await getProviderAccount(db, name);
  if (account.pools.length) {
    throw new ConflictError(
      `provider account "${name}" is used by pools ${account.pools.join(', ')}; delete those pools first`,
    );
  }
  await db.models.ProviderAccount.destroy({ where: { name } });
}

export type ProviderCredentials<P extends ProviderType> = Extract<ProviderAccountData, { provider_type: P }>['credentials'];

/**
 * The secret part of an account, for provider drivers only. Every read of credentials in
 * buildfleet goes through this function; it opens them with the database's secret keys.
 */
export async function readProviderCredentials<P extends ProviderType>(
  db: Database,
  accountId: string,
  providerType: P,
): Promise<ProviderCredentials<P>> {
  const [row] = await db.sequelize.query<{ name: string; sealed_credentials: string; provider_type: string }>(
    'select name, sealed_credentials, provider_type from provider_accounts where id = $1',
    { bind: [accountId], type: QueryTypes.SELECT },
  );
  if (!row) throw new NotFoundError('provider account', `#${accountId}`);
  if (row.provider_type !== providerType) {
    throw new ConflictError(`provider account #${accountId} is ${row.provider_type}, not ${providerType}`);
  }
  return db.secrets.open(row.sealed_credentials, accountCredentialsContext(row.name)) as ProviderCredentials<P>;
}

async function queryAccounts(db: Database, name?: string): Promise<ProviderAccountView[]> {
  const rows = await db.sequelize.query<{
    name: string;
    provider_type: ProviderType;
    configuration: Record<string, unknown>;
    credential_fields: string[];
    pools: string[];
    created_at: Date;
    updated_at: Date;
  }>(
    `select a.name, a.provider_type, a.configuration, a.created_at, a.updated_at,
            a.credential_fields,
            array(select p.name from worker_pools p where p.provider_account_id = a.id order by p.name) as pools
       from provider_accounts a
      where $1::text is null or a.name = $1::text
      order by a.name`,
    { bind: [name ?? null], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    name: r.name,
    providerType: r.provider_type,
    configuration: r.configuration,
    credentialFields: r.credential_fields,
    pools: r.pools,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

export interface RotateKeyResult {
  /** The id of the key every account's credentials are now sealed with (never the key). */
  keyId: string;
  /** The key file, when `generate` wrote a new key into it. */
  keyFile: string | null;
  generated: boolean;
  /** Accounts whose credentials were sealed again. */
  resealed: string[];
}

/**
 * Seals every account's credentials again with the first key of the key file, in one
 * transaction, opening them with whichever key of the file sealed them. With `generate`, first
 * puts a new key at the top of the file, keeping the old ones below (other processes still
 * read with them until they restart). Once every process runs with the new file, the old lines
 * can go.
 */
export async function rotateSecretKey(db: Database, { generate }: { generate: boolean }): Promise<RotateKeyResult> {
  let keys: SecretKeys = db.secrets;
  keys.currentKeyId(); // no key configured: fail with the message that says how, before writing anything
  if (generate) {
    prependNewKey(keys.file!);
    keys = secretKeysFromFile(keys.file!);
  }
  const resealed = await db.sequelize.transaction(async (transaction) => {
    const rows = await db.sequelize.query<{ id: string; name: string; sealed_credentials: string }>(
      'select id, name, sealed_credentials from provider_accounts order by name for update',
      { type: QueryTypes.SELECT, transaction },
    );
    for (const row of rows) {
      const context = accountCredentialsContext(row.name);
      await db.sequelize.query('update provider_accounts set sealed_credentials = $2 where id = $1', {
        bind: [row.id, keys.seal(keys.open(row.sealed_credentials, context), context)],
        transaction,
      });
    }
    return rows.map((r) => r.name);
  });
  db.secrets = keys;
  return { keyId: keys.currentKeyId(), keyFile: keys.file, generated: generate, resealed };
}
