import { rotateSecretKey, type RotateKeyResult } from '@buildfleet/models';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

/** The key now sealing every account's credentials (its id, never the key) and the accounts sealed again. */
export type AccountRotateKeyResult = RotateKeyResult;

export default class AccountRotateKey extends BuildfleetCommand {
  static override summary = "Encrypt every provider account's credentials again with the first key of the key file.";
  static override description = `Credentials are encrypted at rest (AES-256-GCM) with the first key of BUILDFLEET_SECRET_KEY_FILE (for the embedded PostgreSQL, secret.key beside its data directory); every key of the file decrypts what it encrypted. To rotate: put a new key on the first line of the file on every process (keeping the old one below it), run this command, then remove the old line. --generate writes the new key into the file itself. All accounts change in one transaction.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --generate --json'];
  static override flags = {
    generate: Flags.boolean({ summary: 'First put a newly generated key on the first line of the key file, keeping the old keys below it.' }),
  };

  async run(): Promise<AccountRotateKeyResult> {
    const { flags } = await this.parse(AccountRotateKey);
    const result = await this.withDatabase((db) => rotateSecretKey(db, { generate: flags.generate }));
    if (!this.jsonEnabled()) {
      if (result.generated) this.log(`Generated key ${result.keyId} on the first line of ${result.keyFile}.`);
      this.log(`Encrypted the credentials of ${result.resealed.length} account${result.resealed.length === 1 ? '' : 's'} with key ${result.keyId}.`);
    }
    return result;
  }
}
