import { listScopePoolLinks, type ScopePoolLinkView } from '@buildfleet/models';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';

export type ScopePoolListResult = ScopePoolLinkView[];

export default class ScopePoolList extends BuildfleetCommand {
  static override summary = 'List links between scopes and worker pools.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --scope debian --json',
  ];
  static override flags = {
    scope: Flags.string({ summary: 'Only the links of this scope.' }),
    pool: Flags.string({ summary: 'Only the links of this worker pool.' }),
  };

  async run(): Promise<ScopePoolListResult> {
    const { flags } = await this.parse(ScopePoolList);
    const links = await this.withDatabase((db) => listScopePoolLinks(db, { scope: flags.scope, pool: flags.pool }));
    if (!this.jsonEnabled()) {
      const orNone = (value: number | null) => (value === null ? '-' : String(value));
      this.log(
        renderTable(
          ['Scope', 'Pool', 'Priority', 'Instance-wide pool', 'Seconds/month', 'Latency target (s)'],
          links.map((l) => [
            l.scope,
            l.pool,
            String(l.priority),
            l.poolInstanceWide ? 'yes' : 'no',
            orNone(l.limits.target_max_seconds_per_month),
            orNone(l.limits.target_latency_seconds),
          ]),
          'No links.',
        ),
      );
    }
    return links;
  }
}
