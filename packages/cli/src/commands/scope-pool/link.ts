import { linkScopePool, type ScopePoolLinkView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { boundedInteger, INTEGER_RANGE, scopeLinkLimits } from '../../shared/flags';
import { readYamlFlags } from '../../shared/yaml-input';

export type ScopePoolLinkResult = ScopePoolLinkView;

export default class ScopePoolLink extends BuildfleetCommand {
  static override summary = "Let a scope use a worker pool, or change the link's priority and limits.";
  static override description =
    'An instance-wide pool may serve many scopes; a pool that is not instance-wide serves exactly one. Pools with a higher priority are used first for the scope.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> debian aws-amd64 --priority 10',
    '<%= config.bin %> <%= command.id %> debian aws-amd64 --limits scope-limits.yaml',
  ];
  static override args = {
    scope: Args.string({ description: 'Name of the scope.', required: true }),
    pool: Args.string({ description: 'Name of the worker pool.', required: true }),
  };
  static override flags = {
    priority: boundedInteger({ ...INTEGER_RANGE, summary: 'Higher is used first.', defaultText: '0 for a new link' })(),
    limits: scopeLinkLimits,
  };

  async run(): Promise<ScopePoolLinkResult> {
    const { args, flags } = await this.parse(ScopePoolLink);
    const { limits } = await readYamlFlags({ limits: flags.limits });
    const link = await this.withDatabase((db) =>
      linkScopePool(db, { scope: args.scope, pool: args.pool, priority: flags.priority, limits }),
    );
    if (!this.jsonEnabled()) {
      this.log(`Scope "${link.scope}" uses worker pool "${link.pool}" with priority ${link.priority}.`);
    }
    return link;
  }
}
