import { getWorkRequest, type WorkRequestView } from '@buildfleet/scheduler';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { workRequestDetails } from '../../shared/format';

export type WorkRequestShowResult = WorkRequestView;

export default class WorkRequestShow extends BuildfleetCommand {
  static override summary = 'Show a work request: its task, priority, requirements, worker, timings, errors and retries.';
  static override examples = ['<%= config.bin %> <%= command.id %> 42', '<%= config.bin %> <%= command.id %> 42 --json'];
  static override args = { id: Args.string({ description: 'Id of the work request.', required: true }) };

  async run(): Promise<WorkRequestShowResult> {
    const { args } = await this.parse(WorkRequestShow);
    const request = await this.withDatabase((db) => getWorkRequest(db, args.id));
    if (!this.jsonEnabled()) this.log(workRequestDetails(request));
    return request;
  }
}
