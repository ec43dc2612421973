import { listProviderAccounts, type ProviderAccountView } from '@buildfleet/models';
import { BuildfleetCommand } from '../../shared/base-command';
import { list, renderTable } from '../../shared/format';

/** The accounts by name; credentials appear only as the names of the fields that are set. */
export type AccountListResult = ProviderAccountView[];

export default class AccountList extends BuildfleetCommand {
  static override summary = 'List cloud provider accounts (never their credentials).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<AccountListResult> {
    await this.parse(AccountList);
    const accounts = await this.withDatabase((db) => listProviderAccounts(db));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Name', 'Provider', 'Credentials set', 'Pools'],
          accounts.map((a) => [a.name, a.providerType, list(a.credentialFields), list(a.pools)]),
          `No provider accounts. Create one with \`${this.config.bin} account create --data FILE\`.`,
        ),
      );
    }
    return accounts;
  }
}
