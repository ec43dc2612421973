import {
  ConflictError,
  deleteProviderAccount,
  getProviderAccount,
  listProviderAccounts,
  readProviderCredentials,
  upsertProviderAccount,
  upsertWorkerPool,
  ValidationError,
} from '../src';
import { ACCESS_KEY_ID, awsAccountData, awsSpecification, hetznerAccountData, SECRET_ACCESS_KEY } from './fixtures';
import { useDatabase } from './helpers';

const ctx = useDatabase();

beforeEach(async () => {
  await ctx.db.sequelize.query('truncate worker_pools, provider_accounts cascade');
});

it('creates an account, then updates it in place when created again with the same name', async () => {
  const first = await upsertProviderAccount(ctx.db, awsAccountData());
  const again = await upsertProviderAccount(ctx.db, awsAccountData({ configuration: { region_name: 'us-east-1' } }));
  expect(first.created).toBe(true);
  expect(again.created).toBe(false);
  expect(await listProviderAccounts(ctx.db)).toEqual([
    expect.objectContaining({ name: 'aws-main', configuration: { region_name: 'us-east-1' } }),
  ]);
});

it('shows which credential fields are set but never their values', async () => {
  await upsertProviderAccount(ctx.db, awsAccountData());
  const shown = JSON.stringify([await getProviderAccount(ctx.db, 'aws-main'), await listProviderAccounts(ctx.db)]);
  expect(shown).toContain('secret_access_key');
  expect(shown).not.toContain(SECRET_ACCESS_KEY);
  expect(shown).not.toContain(ACCESS_KEY_ID);
});

it('leaves credentials out of the model by default, even when serialised', async () => {
  await upsertProviderAccount(ctx.db, awsAccountData());
  const accounts = await ctx.db.models.ProviderAccount.findAll();
  expect(accounts[0]!.sealedCredentials).toBeUndefined();
  const unscoped = await ctx.db.models.ProviderAccount.unscoped().findAll();
  expect(JSON.stringify(unscoped)).not.toContain(SECRET_ACCESS_KEY);
});

it('hands credentials to drivers through readProviderCredentials only', async () => {
  await upsertProviderAccount(ctx.db, awsAccountData());
  const account = await ctx.db.models.ProviderAccount.findOne({ where: { name: 'aws-main' } });
  expect(await readProviderCredentials(ctx.db, account!.id, 'aws')).toEqual({
    access_key_id: ACCESS_KEY_ID,
    secret_access_key: SECRET_ACCESS_KEY,
  });
  await expect(readProviderCredentials(ctx.db, account!.id, 'hetzner')).rejects.toThrow(ConflictError);
});

it('refuses bad account data and writes nothing', async () => {
  await expect(upsertProviderAccount(ctx.db, hetznerAccountData({ name: 'h', credentials: {} }))).rejects.toThrow(
    ValidationError,
  );
  expect(await listProviderAccounts(ctx.db)).toEqual([]);
});

it('refuses to change the provider type of an account that pools use', async () => {
  await upsertProviderAccount(ctx.db, awsAccountData());
  await upsertWorkerPool(ctx.db, { name: 'spot', providerAccount: 'aws-main', architectures: ['amd64'], specifications: awsSpecification() });
  await expect(upsertProviderAccount(ctx.db, hetznerAccountData({ name: 'aws-main' }))).rejects.toThrow(
    /used by pools spot/,
  );
  await expect(deleteProviderAccount(ctx.db, 'aws-main')).rejects.toThrow(/delete those pools first/);
});
