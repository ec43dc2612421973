import { deleteWorkerPool } from '@buildfleet/models';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface PoolDeleteResult {
  deleted: string;
  /** Worker rows deleted with the pool. */
  deletedWorkers: number;
  /** Workers whose instances were still running (only with --force): terminate them at the provider. */
  runningInstances: string[];
}

export default class PoolDelete extends BuildfleetCommand {
  static override summary = 'Delete a worker pool and its worker rows.';
  static override description =
    'Refuses while any of its instances runs. With --force the pool is deleted anyway and the instances left running are listed, to be terminated at the provider.';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-amd64', '<%= config.bin %> <%= command.id %> aws-amd64 --force'];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };
  static override flags = {
    force: Flags.boolean({ summary: 'Delete even while instances run, and list those instances.' }),
  };

  async run(): Promise<PoolDeleteResult> {
    const { args, flags } = await this.parse(PoolDelete);
    const outcome = await this.withDatabase((db) => deleteWorkerPool(db, args.name, { force: flags.force }));
    if (!this.jsonEnabled()) {
      this.log(`Deleted worker pool "${args.name}" and ${outcome.deletedWorkers} worker row(s).`);
      if (outcome.runningInstances.length) {
        this.warn(
          `These instances were left running; terminate them at the provider: ${outcome.runningInstances.join(', ')}`,
        );
      }
    }
    return { deleted: args.name, ...outcome };
  }
}
