import { getWorker, type WorkerDetailView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { draining, list, renderDetails, yesNo } from '../../shared/format';

export type WorkerShowResult = WorkerDetailView;

export default class WorkerShow extends BuildfleetCommand {
  static override summary = 'Show a worker: its pool, state, tags and metadata (never its tokens).';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-amd64-001 --json'];
  static override args = { name: Args.string({ description: 'Name of the worker.', required: true }) };

  async run(): Promise<WorkerShowResult> {
    const { args } = await this.parse(WorkerShow);
    const worker = await this.withDatabase((db) => getWorker(db, args.name));
    if (!this.jsonEnabled()) {
      this.log(
        renderDetails(
          [
            ['Name', worker.name],
            ['Type', worker.workerType],
            ['Pool', worker.pool ?? '-'],
            ['Enabled', yesNo(worker.enabled)],
            ['Registered', worker.registeredAt],
            ['Instance created', worker.instanceCreatedAt ?? '-'],
            ['Image', worker.image ?? '-'],
            ['Connected', worker.connectedAt ?? '-'],
            ['Last seen', worker.lastSeenAt ?? '-'],
            ['Draining', draining(worker)],
            ['Concurrency', String(worker.concurrency)],
            ['Tags', list([...worker.tags, ...Object.entries(worker.numericTags).map(([n, v]) => `${n}=${v}`)])],
            ['Admin tags', list(worker.adminTags)],
          ],
          [
            ['Static metadata', worker.staticMetadata],
            ['Dynamic metadata', worker.dynamicMetadata],
            ...(worker.workerPoolData ? ([['Worker pool data', worker.workerPoolData]] as [string, unknown][]) : []),
          ],
        ),
      );
    }
    return worker;
  }
}
