import { migrateUp, resolveSecretKeys } from '@buildfleet/models';
import { BuildfleetCommand } from '../../shared/base-command';

export interface DbMigrateResult {
  /** Names of the migrations this run applied, in order (empty when the schema was up to date). */
  applied: string[];
}

export default class DbMigrate extends BuildfleetCommand {
  static override summary = 'Apply pending database migrations.';
  static override description =
    'Brings the schema up to date. This is the only command that creates or changes the schema; the others refuse to run on an old one. Running it again, or from several processes at once, is safe. Migration 0005 encrypts the credentials of existing provider accounts, so it needs the key (BUILDFLEET_SECRET_KEY_FILE) when there are any.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<DbMigrateResult> {
    await this.parse(DbMigrate);
    const applied = await this.withServer((url, server) =>
      migrateUp(url, { secrets: resolveSecretKeys(server.dataDir ? { embeddedDataDir: server.dataDir } : {}) }),
    );
    if (!this.jsonEnabled()) {
      this.log(
        applied.length
          ? `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:\n${applied.map((name) => `  ${name}`).join('\n')}`
          : 'The schema is up to date; nothing to apply.',
      );
    }
    return { applied };
  }
}
