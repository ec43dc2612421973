import { WORK_REQUEST_STATUSES } from '@buildfleet/models';
import { listWorkRequests, MAX_LIST_LIMIT, type WorkRequestPage } from '@buildfleet/scheduler';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';
import { boundedInteger } from '../../shared/flags';

export type WorkRequestListResult = WorkRequestPage;

export default class WorkRequestList extends BuildfleetCommand {
  static override summary = 'List work requests, newest first, a page at a time.';
  static override description = 'Without --json, the last line gives the --before value that shows the next (older) page.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --status pending --scope debian --limit 20 --json',
    '<%= config.bin %> <%= command.id %> --worker builder1 --task sbuild --before 1200',
  ];
  static override flags = {
    status: Flags.option({ options: WORK_REQUEST_STATUSES })({ summary: 'Only work requests in this status.' }),
    scope: Flags.string({ helpValue: 'NAME', summary: 'Only work requests of this scope.' }),
    worker: Flags.string({ helpValue: 'NAME', summary: 'Only work requests assigned to this worker.' }),
    task: Flags.string({ helpValue: 'NAME', summary: 'Only work requests of this task (sbuild, noop, ...).' }),
    limit: boundedInteger({ min: 1, max: MAX_LIST_LIMIT, summary: 'Show at most this many.', defaultText: '100' })(),
    before: Flags.string({ helpValue: 'ID', summary: 'Only work requests older than this one: the `next` of the previous page.' }),
  };

  async run(): Promise<WorkRequestListResult> {
    const { flags } = await this.parse(WorkRequestList);
    const page = await this.withDatabase((db) =>
      listWorkRequests(db, {
        status: flags.status,
        scope: flags.scope,
        worker: flags.worker,
        task: flags.task,
        limit: flags.limit,
        before: flags.before,
      }),
    );
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Id', 'Scope', 'Status', 'Task', 'Priority', 'Requirements', 'Worker', 'Created'],
          page.workRequests.map((r) => [
            r.id,
            r.scope,
            r.result ? `${r.status} (${r.result})` : r.status,
            `${r.taskType}/${r.taskName}`,
            String(r.priority.effective),
            r.requirements || '-',
            r.worker ?? '-',
            r.createdAt,
          ]),
          'No work requests.',
        ),
      );
      if (page.next) this.log(`More: --before ${page.next}`);
    }
    return page;
  }
}
