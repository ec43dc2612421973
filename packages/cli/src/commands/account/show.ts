import { getProviderAccount, type ProviderAccountView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { list, renderDetails } from '../../shared/format';

/** One account; credentials appear only as the names of the fields that are set. */
export type AccountShowResult = ProviderAccountView;

export default class AccountShow extends BuildfleetCommand {
  static override summary = 'Show a cloud provider account (which credential fields are set, never their values).';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-main', '<%= config.bin %> <%= command.id %> aws-main --json'];
  static override args = { name: Args.string({ description: 'Name of the account.', required: true }) };

  async run(): Promise<AccountShowResult> {
    const { args } = await this.parse(AccountShow);
    const account = await this.withDatabase((db) => getProviderAccount(db, args.name));
    if (!this.jsonEnabled()) {
      this.log(
        renderDetails(
          [
            ['Name', account.name],
            ['Provider', account.providerType],
            ['Credentials set', list(account.credentialFields)],
            ['Pools', list(account.pools)],
            ['Created', account.createdAt],
            ['Updated', account.updatedAt],
          ],
          [['Configuration', account.configuration]],
        ),
      );
    }
    return account;
  }
}
