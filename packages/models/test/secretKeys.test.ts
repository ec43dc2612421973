import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmptyDatabase, useTestDatabase, withPgClient } from '@buildfleet/testdb';
import {
  connectDatabase,
  type Database,
  generateKeyLine,
  getProviderAccount,
  listProviderAccounts,
  migrateDown,
  migrateUp,
  noSecretKeys,
  readProviderCredentials,
  resolveSecretKeys,
  rotateSecretKey,
  SecretKeyError,
  secretKeysFromFile,
  upsertProviderAccount,
} from '../src';
import { ACCESS_KEY_ID, awsAccountData, HETZNER_TOKEN, hetznerAccountData, SECRET_ACCESS_KEY } from './fixtures';

const database = useTestDatabase();
let dir: string;
let keyFile: string;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'buildfleet-keys-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(async () => {
  keyFile = join(dir, `key-${Math.random().toString(36).slice(2)}`);
  writeFileSync(keyFile, `# buildfleet credentials key\n${generateKeyLine()}\n`);
  db = connectDatabase(database.url, 2, secretKeysFromFile(keyFile));
  await db.sequelize.query('truncate worker_pools, provider_accounts cascade');
});
afterEach(() => db.close());

/** Everything stored about accounts, as text (what a dump of the table shows). */
async function storedAccounts(url = database.url): Promise<string> {
  return withPgClient(url, async (client) => JSON.stringify((await client.query('select * from provider_accounts')).rows));
}

const accountId = async (name: string) => (await db.models.ProviderAccount.findOne({ where: { name } }))!.id;

describe('credentials at rest', () => {
  it('are stored encrypted and read back by readProviderCredentials', async () => {
    await upsertProviderAccount(db, awsAccountData());
    await upsertProviderAccount(db, hetznerAccountData());

    const stored = await storedAccounts();

    for (const secret of [ACCESS_KEY_ID, SECRET_ACCESS_KEY, HETZNER_TOKEN]) expect(stored.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(stored).toMatch(/"sealed_credentials":"bf1\.[0-9a-f]{16}\./);
    expect(await readProviderCredentials(db, await accountId('hetzner-main'), 'hetzner')).toEqual({ api_token: HETZNER_TOKEN });
    expect((await getProviderAccount(db, 'aws-main')).credentialFields).toEqual(['access_key_id', 'secret_access_key']);
  });

  it("refuses one account's sealed credentials copied onto another", async () => {
    await upsertProviderAccount(db, hetznerAccountData());
    await upsertProviderAccount(db, hetznerAccountData({ name: 'other', credentials: { api_token: 'other-token-0123456789' } }));
    await db.sequelize.query(
      `update provider_accounts set sealed_credentials = (select sealed_credentials from provider_accounts where name = 'hetzner-main') where name = 'other'`,
    );

    await expect(readProviderCredentials(db, await accountId('other'), 'hetzner')).rejects.toThrow(/fail authentication/);
  });

  it('without a key, refuses to store or read credentials, naming BUILDFLEET_SECRET_KEY_FILE, and writes nothing', async () => {
    await upsertProviderAccount(db, hetznerAccountData());
    const keyless = connectDatabase(database.url, 1, noSecretKeys());
    try {
      await expect(upsertProviderAccount(keyless, awsAccountData())).rejects.toThrow(/set BUILDFLEET_SECRET_KEY_FILE/);
      await expect(readProviderCredentials(keyless, await accountId('hetzner-main'), 'hetzner')).rejects.toThrow(SecretKeyError);
      expect((await listProviderAccounts(keyless)).map((a) => a.name)).toEqual(['hetzner-main']);
    } finally {
      await keyless.close();
    }
  });

  it('names a key file that holds no valid key', async () => {
    writeFileSync(keyFile, 'not-a-key\n');
    const bad = connectDatabase(database.url, 1, secretKeysFromFile(keyFile));
    try {
      await expect(upsertProviderAccount(bad, awsAccountData())).rejects.toThrow(`BUILDFLEET_SECRET_KEY_FILE (${keyFile}): key 1 is not 32 bytes`);
    } finally {
      await bad.close();
    }
  });

  it('without BUILDFLEET_SECRET_KEY_FILE, generates the embedded default key beside the data directory once, and reuses it', () => {
    const configured = process.env.BUILDFLEET_SECRET_KEY_FILE;
    delete process.env.BUILDFLEET_SECRET_KEY_FILE;
    let first, again;
    try {
      first = resolveSecretKeys({ embeddedDataDir: join(dir, 'postgres') });
      again = resolveSecretKeys({ embeddedDataDir: join(dir, 'postgres') });
    } finally {
      process.env.BUILDFLEET_SECRET_KEY_FILE = configured;
    }

    expect(first.file).toBe(join(dir, 'secret.key'));
    expect(again.currentKeyId()).toBe(first.currentKeyId());
  });
});

describe('rotateSecretKey', () => {
  it('with generate, puts a new key first and seals every account with it; the old key can then go', async () => {
    await upsertProviderAccount(db, awsAccountData());
    await upsertProviderAccount(db, hetznerAccountData());
    const oldKeyId = db.secrets.currentKeyId();

    const result = await rotateSecretKey(db, { generate: true });

    expect(result).toMatchObject({ generated: true, keyFile, resealed: ['aws-main', 'hetzner-main'] });
    expect(result.keyId).not.toBe(oldKeyId);
    expect(await storedAccounts()).not.toContain(oldKeyId);
    const lines = readFileSync(keyFile, 'utf8').trim().split('\n');
    writeFileSync(keyFile, `${lines[0]}\n`);
    const fresh = connectDatabase(database.url, 1, secretKeysFromFile(keyFile));
    try {
      expect(await readProviderCredentials(fresh, await accountId('hetzner-main'), 'hetzner')).toEqual({ api_token: HETZNER_TOKEN });
    } finally {
      await fresh.close();
    }
  });

  it('lets a process that read the key file before the rotation read what the rotation sealed', async () => {
    await upsertProviderAccount(db, hetznerAccountData());
    const replica = connectDatabase(database.url, 1, secretKeysFromFile(keyFile));
    try {
      expect(await readProviderCredentials(replica, await accountId('hetzner-main'), 'hetzner')).toEqual({ api_token: HETZNER_TOKEN });

      await rotateSecretKey(db, { generate: true });

      expect(await readProviderCredentials(replica, await accountId('hetzner-main'), 'hetzner')).toEqual({ api_token: HETZNER_TOKEN });
    } finally {
      await replica.close();
    }
  });

  it('reports credentials sealed with a key the file no longer holds, naming that key', async () => {
    await upsertProviderAccount(db, hetznerAccountData());
    const oldKeyId = db.secrets.currentKeyId();
    writeFileSync(keyFile, `${generateKeyLine()}\n`);
    const other = connectDatabase(database.url, 1, secretKeysFromFile(keyFile));
    try {
      await expect(rotateSecretKey(other, { generate: false })).rejects.toThrow(`sealed with key ${oldKeyId}`);
    } finally {
      await other.close();
    }
  });
});

describe('migration 0005-sealed-credentials', () => {
  let empty: { url: string; drop(): Promise<void> };
  beforeEach(async () => {
    empty = await createEmptyDatabase();
    await migrateUp(empty.url, { to: '0004-provisioning' });
    await withPgClient(empty.url, (client) =>
      client.query(`insert into provider_accounts (name, provider_type, credentials) values ('hz', 'hetzner', $1::jsonb)`, [
        JSON.stringify({ api_token: HETZNER_TOKEN }),
      ]),
    );
  });
  afterEach(() => empty.drop());

  it('encrypts existing plain-text credentials, and down decrypts them again', async () => {
    expect(await migrateUp(empty.url, { secrets: db.secrets })).toContain('0005-sealed-credentials');

    expect(await storedAccounts(empty.url)).not.toContain(HETZNER_TOKEN);
    const migrated = connectDatabase(empty.url, 1, db.secrets);
    try {
      const id = (await migrated.models.ProviderAccount.findOne({ where: { name: 'hz' } }))!.id;
      expect(await readProviderCredentials(migrated, id, 'hetzner')).toEqual({ api_token: HETZNER_TOKEN });
      expect((await getProviderAccount(migrated, 'hz')).credentialFields).toEqual(['api_token']);
    } finally {
      await migrated.close();
    }
    await migrateDown(empty.url, { to: '0005-sealed-credentials', secrets: db.secrets });
    expect(await storedAccounts(empty.url)).toContain(`"credentials":{"api_token":"${HETZNER_TOKEN}"}`);
  });

  it('without a key, stops with a clear error and leaves the database at 0004', async () => {
    await expect(migrateUp(empty.url, { secrets: noSecretKeys() })).rejects.toThrow(
      /migration 0005-sealed-credentials encrypts the credentials of 1 provider account\(s\): .*set BUILDFLEET_SECRET_KEY_FILE/,
    );

    expect(await storedAccounts(empty.url)).toContain(HETZNER_TOKEN);
    expect(await storedAccounts(empty.url)).not.toContain('sealed_credentials');
  });
});
