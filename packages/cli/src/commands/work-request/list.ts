import { WORK_REQUEST_STATUSES } from '@buildfleet/models';
import { listWorkRequests, type WorkRequestView } from '@buildfleet/scheduler';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';

export type WorkRequestListResult = WorkRequestView[];

export default class WorkRequestList extends BuildfleetCommand {
  static override summary = 'List work requests, highest priority first, then oldest.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --status pending --scope debian --limit 20 --json',
  ];
  static override flags = {
    status: Flags.option({ options: WORK_REQUEST_STATUSES })({ summary: 'Only work requests in this status.' }),
    scope: Flags.string({ helpValue: 'NAME', summary: 'Only work requests of this scope.' }),
    limit: Flags.integer({ min: 1, summary: 'Show at most this many. (Default: 1000)' }),
  };

  async run(): Promise<WorkRequestListResult> {
    const { flags } = await this.parse(WorkRequestList);
    const requests = await this.withDatabase((db) =>
      listWorkRequests(db, { status: flags.status, scope: flags.scope, limit: flags.limit }),
    );
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Id', 'Scope', 'Status', 'Task', 'Priority', 'Requirements', 'Worker', 'Created'],
          requests.map((r) => [
            r.id,
            r.scope,
            r.status,
            `${r.taskType}/${r.taskName}`,
            String(r.priority.effective),
            r.requirements || '-',
            r.worker ?? '-',
            r.createdAt,
          ]),
          'No work requests.',
        ),
      );
    }
    return requests;
  }
}
