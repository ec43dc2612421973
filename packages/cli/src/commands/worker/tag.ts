import { tagWorker } from '@buildfleet/scheduler';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { list } from '../../shared/format';

export interface WorkerTagResult {
  worker: string;
  /** The worker's admin tags after the change. */
  adminTags: string[];
}

export default class WorkerTag extends BuildfleetCommand {
  static override summary = 'Add admin tags to a worker, so that it matches requirements such as site:paris.';
  static override description =
    'A numeric tag (memory_gib=32) replaces the value the worker had for that name. The scheduler matches on these tags together with those the worker reports and those of its pool.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> aws-amd64-001 site:paris',
    '<%= config.bin %> <%= command.id %> aws-amd64-001 site:paris memory_gib=32 --json',
  ];
  static override strict = false;
  static override usage = '<%= command.id %> NAME TAG... [--json]';
  static override args = {
    name: Args.string({ description: 'Name of the worker.', required: true }),
    tag: Args.string({ description: 'Tags to add: names (site:paris) or values (memory_gib=32).', required: true }),
  };

  async run(): Promise<WorkerTagResult> {
    const { args, argv } = await this.parse(WorkerTag);
    const tags = (argv as string[]).slice(1);
    const adminTags = await this.withDatabase((db) => tagWorker(db, args.name, tags));
    if (!this.jsonEnabled()) this.log(`Admin tags of worker "${args.name}": ${list(adminTags)}`);
    return { worker: args.name, adminTags };
  }
}
