import { retryWorkRequest, type WorkRequestView } from '@buildfleet/scheduler';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { workRequestDetails } from '../../shared/format';

export type WorkRequestRetryResult = WorkRequestView;

export default class WorkRequestRetry extends BuildfleetCommand {
  static override summary = 'Retry a failed or aborted work request.';
  static override description =
    'Queues a new pending request, a copy that supersedes it, and prints it. A request is retried once: a second retry exits 1 and names the first one.';
  static override examples = ['<%= config.bin %> <%= command.id %> 42', '<%= config.bin %> <%= command.id %> 42 --json'];
  static override args = { id: Args.string({ description: 'Id of the work request.', required: true }) };

  async run(): Promise<WorkRequestRetryResult> {
    const { args } = await this.parse(WorkRequestRetry);
    const retry = await this.withDatabase((db) => retryWorkRequest(db, args.id));
    if (!this.jsonEnabled()) {
      this.log(`Work request ${args.id} is retried as ${retry.id}.\n`);
      this.log(workRequestDetails(retry));
    }
    return retry;
  }
}
