import { getWorker } from '@buildfleet/models';
import { terminateWorker } from '@buildfleet/provisioner';
import { deleteWorker, type WorkerDeletion } from '@buildfleet/worker-api';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface WorkerDeleteResult extends WorkerDeletion {
  /** Whether its pool's instance was terminated first. */
  terminated: boolean;
}

export default class WorkerDelete extends BuildfleetCommand {
  static override summary = 'Delete a worker and its tokens.';
  static override description =
    "Its pending work goes back to the queue. A worker running work is refused (exit 1) unless --force, which aborts that work as a worker failure and retries it. A pool worker's instance is terminated through its pool first, as `pool terminate` does.";
  static override examples = ['<%= config.bin %> <%= command.id %> builder1-example-org', '<%= config.bin %> <%= command.id %> aws-spot-001 --force --json'];
  static override args = { name: Args.string({ description: 'Name of the worker.', required: true }) };
  static override flags = {
    force: Flags.boolean({ summary: 'Delete even while it runs work, aborting and retrying that work.' }),
  };

  async run(): Promise<WorkerDeleteResult> {
    const { args, flags } = await this.parse(WorkerDelete);
    const result = await this.withDatabase(async (db) => {
      const worker = await getWorker(db, args.name);
      const terminated = worker.pool !== null && worker.instanceCreatedAt !== null;
      if (terminated) await terminateWorker(db, args.name, { force: flags.force });
      return { ...(await deleteWorker(db, args.name, { force: flags.force })), terminated };
    });
    if (!this.jsonEnabled()) {
      this.log(`Deleted worker "${result.worker}"${result.terminated ? ' after terminating its instance' : ''}.`);
      if (result.requeued.length) this.log(`Back in the queue: ${result.requeued.join(', ')}.`);
      for (const retry of result.retries) this.log(`Work request ${retry.supersedes} was aborted and is retried as ${retry.id}.`);
    }
    return result;
  }
}
