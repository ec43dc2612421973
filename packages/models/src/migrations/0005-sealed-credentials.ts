import { accountCredentialsContext, SecretKeyError } from '../secretKeys';
import { type Migration } from './types';

/**
 * Provider credentials sealed at rest (AES-256-GCM, see secretKeys.ts): `sealed_credentials`
 * replaces the plain `credentials` column, and `credential_fields` keeps the names of the fields
 * that are set, which `account list` shows without a key. Existing rows are sealed here, so
 * this migration needs the key when any account exists; down opens them again.
 */
export const sealedCredentials: Migration = {
  name: '0005-sealed-credentials',
  up: `
alter table provider_accounts add column sealed_credentials text;
alter table provider_accounts add column credential_fields text[] not null default '{}';
`,
  down: `
alter table provider_accounts drop column credential_fields;
alter table provider_accounts drop column sealed_credentials;
`,
  data: {
    async up(client, { secrets }) {
      const { rows } = await client.query<{ id: string; name: string; credentials: Record<string, unknown> }>(
        'select id, name, credentials from provider_accounts order by id for update',
      );
      for (const row of rows) {
        let sealed: string;
        try {
          sealed = secrets.seal(row.credentials, accountCredentialsContext(row.name));
        } catch (error) {
          if (!(error instanceof SecretKeyError)) throw error;
          throw new SecretKeyError(`migration 0005-sealed-credentials encrypts the credentials of ${rows.length} provider account(s): ${error.message}`);
        }
        await client.query('update provider_accounts set sealed_credentials = $2, credential_fields = $3::text[] where id = $1', [
          row.id,
          sealed,
          Object.keys(row.credentials).sort(),
        ]);
      }
      await client.query('alter table provider_accounts drop column credentials');
      await client.query('alter table provider_accounts alter column sealed_credentials set not null');
    },
    async down(client, { secrets }) {
      await client.query(`alter table provider_accounts add column credentials jsonb not null default '{}'`);
      const { rows } = await client.query<{ id: string; name: string; sealed_credentials: string }>(
        'select id, name, sealed_credentials from provider_accounts order by id for update',
      );
      for (const row of rows) {
        const credentials = secrets.open(row.sealed_credentials, accountCredentialsContext(row.name));
        await client.query('update provider_accounts set credentials = $2::jsonb where id = $1', [row.id, JSON.stringify(credentials)]);
      }
    },
  },
};
