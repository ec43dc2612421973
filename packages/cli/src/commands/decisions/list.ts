import { type DecisionView, listDecisions } from '@buildfleet/provisioner';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';
import { boundedInteger } from '../../shared/flags';

export type DecisionsListResult = DecisionView[];

export default class DecisionsList extends BuildfleetCommand {
  static override summary = "List the provisioner's decisions with their reasons, the latest tick first.";
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --pool aws-spot --limit 20 --json'];
  static override flags = {
    pool: Flags.string({ helpValue: 'NAME', summary: 'Only decisions about this pool.' }),
    limit: boundedInteger({ min: 1, max: 10_000, summary: 'Show at most this many.', defaultText: '50' })(),
  };

  async run(): Promise<DecisionsListResult> {
    const { flags } = await this.parse(DecisionsList);
    const decisions = await this.withDatabase((db) => listDecisions(db, { pool: flags.pool, limit: flags.limit }));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Time', 'Kind', 'Reason', 'Pool', 'Message'],
          decisions.map((d) => [d.decidedAt, d.kind, d.reason, d.pool ?? '-', d.message]),
          'No decisions recorded yet.',
        ),
      );
    }
    return decisions;
  }
}
