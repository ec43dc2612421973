import { createUserToken } from '@buildfleet/worker-api';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { boundedInteger } from '../../shared/flags';

export interface TokenCreateResult {
  user: string;
  /** Shown this once; buildfleet keeps only its sha256. */
  token: string;
  expiresAt: string | null;
  admin: boolean;
}

export default class TokenCreate extends BuildfleetCommand {
  static override summary = 'Create an API token for a user, so that Debusine clients can queue work.';
  static override description =
    'For `debusine create-work-request` and other clients of POST /api/1.0/work-request/. The token is printed once and stored only as a hash.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --user alice --comment "CI uploads" --expires-in 30',
    '<%= config.bin %> <%= command.id %> --user root --admin',
  ];
  static override flags = {
    user: Flags.string({ summary: 'Who the token belongs to.', required: true }),
    comment: Flags.string({ summary: 'What the token is for (at most 100 characters).' }),
    'expires-in': boundedInteger({ min: 1, max: 3650, unit: 'days', summary: 'Days until the token expires.', defaultText: 'never' })(),
    admin: Flags.boolean({ summary: "An admin's token: may change work request priorities and see worker metadata. (Default: no)" }),
  };

  async run(): Promise<TokenCreateResult> {
    const { flags } = await this.parse(TokenCreate);
    const expiresAt = flags['expires-in'] ? new Date(Date.now() + flags['expires-in'] * 86_400_000) : undefined;
    const token = await this.withDatabase((db) =>
      createUserToken(db, { user: flags.user, comment: flags.comment, admin: flags.admin, ...(expiresAt ? { expiresAt } : {}) }),
    );
    if (!this.jsonEnabled()) {
      this.log(`Created ${flags.admin ? 'an admin' : 'a'} token for "${flags.user}". It is shown only now:`);
      this.log(token);
    }
    return { user: flags.user, token, expiresAt: expiresAt?.toISOString() ?? null, admin: flags.admin ?? false };
  }
}
