import { type ProviderAccountView, upsertProviderAccount } from '@buildfleet/models';
import { BuildfleetCommand } from '../../shared/base-command';
import { yamlFile } from '../../shared/flags';
import { readYamlFlags } from '../../shared/yaml-input';

export interface AccountCreateResult {
  account: ProviderAccountView;
  /** False when an account of that name existed and was updated. */
  created: boolean;
}

export default class AccountCreate extends BuildfleetCommand {
  static override summary = 'Create a cloud provider account, or update the one with the same name.';
  static override description = `The data is YAML with name, provider_type (aws, hetzner or dummy), configuration and credentials. Running it again with the same name updates that account, so it is safe from configuration management. Credentials are stored for the provider drivers and never shown again.

Example data for AWS:
  name: aws-main
  provider_type: aws
  configuration:
    region_name: eu-west-1
  credentials:
    access_key_id: AKIA...
    secret_access_key: ...`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --data account.yaml',
    'cat account.yaml | <%= config.bin %> <%= command.id %> --data -',
  ];
  static override flags = {
    data: yamlFile({ summary: 'The account as YAML: a file, or "-" for standard input.', required: true }),
  };

  async run(): Promise<AccountCreateResult> {
    const { flags } = await this.parse(AccountCreate);
    const { data } = await readYamlFlags({ data: flags.data });
    const result = await this.withDatabase((db) => upsertProviderAccount(db, data));
    if (!this.jsonEnabled()) {
      this.log(
        `${result.created ? 'Created' : 'Updated'} provider account "${result.account.name}" (${result.account.providerType}).`,
      );
    }
    return result;
  }
}
