import { abortWorkRequestsAsAdmin, type WorkRequestView } from '@buildfleet/scheduler';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export type WorkRequestAbortResult = WorkRequestView[];

export default class WorkRequestAbort extends BuildfleetCommand {
  static override summary = 'Abort pending or running work requests.';
  static override description = `All or none: an unknown id exits 3 and a finished request exits 1, and nothing is aborted. The reason is recorded in each request's errors. An aborted request is not retried (see work-request retry). A running request keeps running on its worker (debusine-worker cannot be told to stop a task), and its completion is then ignored.`;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> <%= command.id %> 42',
    '<%= config.bin %> <%= command.id %> 42 43 44 --reason "wrong suite" --json',
  ];
  static override args = { id: Args.string({ description: 'Id of a work request; give several to abort them together.', required: true }) };
  static override flags = {
    reason: Flags.string({ helpValue: 'TEXT', summary: 'Why, recorded in the errors of each request. (Default: "Aborted by an admin")' }),
  };

  async run(): Promise<WorkRequestAbortResult> {
    const { argv, flags } = await this.parse(WorkRequestAbort);
    const aborted = await this.withDatabase((db) => abortWorkRequestsAsAdmin(db, argv as string[], { reason: flags.reason }));
    if (!this.jsonEnabled()) this.log(`Aborted work request${aborted.length > 1 ? 's' : ''} ${aborted.map((r) => r.id).join(', ')}.`);
    return aborted;
  }
}
