import { deleteProviderAccount } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface AccountDeleteResult {
  deleted: string;
}

export default class AccountDelete extends BuildfleetCommand {
  static override summary = 'Delete a cloud provider account that no pool uses.';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-main'];
  static override args = { name: Args.string({ description: 'Name of the account.', required: true }) };

  async run(): Promise<AccountDeleteResult> {
    const { args } = await this.parse(AccountDelete);
    await this.withDatabase((db) => deleteProviderAccount(db, args.name));
    if (!this.jsonEnabled()) this.log(`Deleted provider account "${args.name}".`);
    return { deleted: args.name };
  }
}
