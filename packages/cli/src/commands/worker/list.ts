import { listWorkers, type WorkerView } from '@buildfleet/models';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { draining, renderTable, yesNo } from '../../shared/format';

export type WorkerListResult = WorkerView[];

export default class WorkerList extends BuildfleetCommand {
  static override summary = 'List workers (never their tokens).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --pool aws-amd64 --json'];
  static override flags = { pool: Flags.string({ summary: 'Only the workers of this worker pool.' }) };

  async run(): Promise<WorkerListResult> {
    const { flags } = await this.parse(WorkerList);
    const workers = await this.withDatabase((db) => listWorkers(db, { pool: flags.pool }));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Name', 'Type', 'Pool', 'Enabled', 'Instance created', 'Connected', 'Last seen', 'Draining'],
          workers.map((w) => [
            w.name,
            w.workerType,
            w.pool ?? '-',
            yesNo(w.enabled),
            w.instanceCreatedAt ?? '-',
            w.connectedAt ?? '-',
            w.lastSeenAt ?? '-',
            draining(w),
          ]),
          'No workers.',
        ),
      );
    }
    return workers;
  }
}
