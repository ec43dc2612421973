import { untagWorker } from '@buildfleet/scheduler';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { list } from '../../shared/format';
import { type WorkerTagResult } from './tag';

export type WorkerUntagResult = WorkerTagResult;

export default class WorkerUntag extends BuildfleetCommand {
  static override summary = 'Remove admin tags from a worker.';
  static override description =
    'Tags are removed by name: memory_gib removes memory_gib=32. Tags the worker reports itself, or gets from its pool, stay.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> aws-amd64-001 site:paris',
    '<%= config.bin %> <%= command.id %> aws-amd64-001 site:paris memory_gib --json',
  ];
  static override strict = false;
  static override usage = '<%= command.id %> NAME TAG... [--json]';
  static override args = {
    name: Args.string({ description: 'Name of the worker.', required: true }),
    tag: Args.string({ description: 'Tags to remove, by name.', required: true }),
  };

  async run(): Promise<WorkerUntagResult> {
    const { args, argv } = await this.parse(WorkerUntag);
    const tags = (argv as string[]).slice(1);
    const adminTags = await this.withDatabase((db) => untagWorker(db, args.name, tags));
    if (!this.jsonEnabled()) this.log(`Admin tags of worker "${args.name}": ${list(adminTags)}`);
    return { worker: args.name, adminTags };
  }
}
