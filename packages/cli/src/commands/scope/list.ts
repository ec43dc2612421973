import { listScopes, type ScopeView } from '@buildfleet/models';
import { BuildfleetCommand } from '../../shared/base-command';
import { list, renderTable } from '../../shared/format';

export type ScopeListResult = ScopeView[];

export default class ScopeList extends BuildfleetCommand {
  static override summary = 'List scopes and the pools linked to each.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<ScopeListResult> {
    await this.parse(ScopeList);
    const scopes = await this.withDatabase((db) => listScopes(db));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Name', 'Label', 'Pools'],
          scopes.map((s) => [s.name, s.label, list(s.pools)]),
          `No scopes. Create one with \`${this.config.bin} scope create NAME\`.`,
        ),
      );
    }
    return scopes;
  }
}
