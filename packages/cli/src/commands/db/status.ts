import { migrationStatus } from '@buildfleet/models';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';

export interface DbStatusResult {
  migrations: { name: string; appliedAt: string | null }[];
  /** Migrations `db migrate` would apply. */
  pending: string[];
}

export default class DbStatus extends BuildfleetCommand {
  static override summary = 'Show which database migrations are applied and which are pending.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<DbStatusResult> {
    await this.parse(DbStatus);
    const status = await this.withServer((url) => migrationStatus(url));
    const migrations = status.map((m) => ({ name: m.name, appliedAt: m.appliedAt?.toISOString() ?? null }));
    const pending = migrations.filter((m) => !m.appliedAt).map((m) => m.name);
    if (!this.jsonEnabled()) {
      this.log(renderTable(['Migration', 'Applied'], migrations.map((m) => [m.name, m.appliedAt ?? 'pending']), ''));
      this.log(pending.length ? `\n${pending.length} pending: run \`${this.config.bin} db migrate\`.` : '\nUp to date.');
    }
    return { migrations, pending };
  }
}
