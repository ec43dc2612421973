import { unlinkScopePool } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface ScopePoolUnlinkResult {
  scope: string;
  pool: string;
}

export default class ScopePoolUnlink extends BuildfleetCommand {
  static override summary = 'Stop a scope using an instance-wide worker pool.';
  static override examples = ['<%= config.bin %> <%= command.id %> debian aws-amd64'];
  static override args = {
    scope: Args.string({ description: 'Name of the scope.', required: true }),
    pool: Args.string({ description: 'Name of the worker pool.', required: true }),
  };

  async run(): Promise<ScopePoolUnlinkResult> {
    const { args } = await this.parse(ScopePoolUnlink);
    await this.withDatabase((db) => unlinkScopePool(db, args.scope, args.pool));
    if (!this.jsonEnabled()) this.log(`Scope "${args.scope}" no longer uses worker pool "${args.pool}".`);
    return { scope: args.scope, pool: args.pool };
  }
}
