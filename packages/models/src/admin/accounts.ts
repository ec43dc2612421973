import { QueryTypes } from 'sequelize';
import { type Database } from '../database';
import { ConflictError, NotFoundError } from '../errors';
import { type ProviderType } from '../schemas/common';
import { type ProviderAccountData, providerAccountDataSchema } from '../schemas/accounts';
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
  const { ProviderAccount, WorkerPool } = db.models;
  const created = await db.sequelize.transaction(async (transaction) => {
    const existing = await ProviderAccount.findOne({ where: { name: data.name }, transaction, lock: true });
    if (!existing) {
      await ProviderAccount.create(
        {
          name: data.name,
          providerType: data.provider_type,
          configuration: data.configuration,
          credentials: data.credentials,
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
        credentials: data.credentials,
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
 * buildfleet goes through this function.
 */
export async function readProviderCredentials<P extends ProviderType>(
  db: Database,
  accountId: string,
  providerType: P,
): Promise<ProviderCredentials<P>> {
  const [row] = await db.sequelize.query<{ credentials: Record<string, unknown>; provider_type: string }>(
    'select credentials, provider_type from provider_accounts where id = $1',
    { bind: [accountId], type: QueryTypes.SELECT },
  );
  if (!row) throw new NotFoundError('provider account', `#${accountId}`);
  if (row.provider_type !== providerType) {
    throw new ConflictError(`provider account #${accountId} is ${row.provider_type}, not ${providerType}`);
  }
  return row.credentials as unknown as ProviderCredentials<P>;
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
            array(select jsonb_object_keys(a.credentials) order by 1) as credential_fields,
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
