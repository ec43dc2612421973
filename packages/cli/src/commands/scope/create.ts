import { type ScopeView, upsertScope } from '@buildfleet/models';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface ScopeCreateResult {
  scope: ScopeView;
  /** False when the scope existed (its label is updated when --label is given). */
  created: boolean;
}

export default class ScopeCreate extends BuildfleetCommand {
  static override summary = 'Create a scope, or update its label.';
  static override examples = ['<%= config.bin %> <%= command.id %> debian --label "Debian"'];
  static override args = { name: Args.string({ description: 'Name of the scope (lower-case slug).', required: true }) };
  static override flags = { label: Flags.string({ summary: 'Human-readable name. (Default: the name)' }) };

  async run(): Promise<ScopeCreateResult> {
    const { args, flags } = await this.parse(ScopeCreate);
    const result = await this.withDatabase((db) => upsertScope(db, { name: args.name, label: flags.label }));
    if (!this.jsonEnabled()) this.log(`${result.created ? 'Created' : 'Updated'} scope "${result.scope.name}".`);
    return result;
  }
}
