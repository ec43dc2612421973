import { type ManualTerminateResult, TerminateFailedError, terminateWorker } from '@buildfleet/provisioner';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { eventLine } from '../../shared/provision-flags';

export type PoolTerminateResult = ManualTerminateResult;

export default class PoolTerminate extends BuildfleetCommand {
  static override summary = "Terminate a pool worker's instance now.";
  static override description =
    'Disables the worker\'s tokens, terminates its instance at the provider and stops its row, writing its runtime to the pool statistics. Refuses a worker with pending or running work unless --force; forced, its pending work goes back to the queue and its running work is retried as a worker failure. When the provider refuses, the worker stays disabled, the next provisioning tick tries again, and the command exits 1 after printing its result (the decisions, with the error).';
  static override examples = ['<%= config.bin %> <%= command.id %> hetzner-cx32-004', '<%= config.bin %> <%= command.id %> aws-spot-001 --force'];
  static override args = { worker: Args.string({ description: 'Name of the worker.', required: true }) };
  static override flags = {
    force: Flags.boolean({ summary: 'Terminate even while the worker has work, requeueing it.' }),
  };

  async run(): Promise<PoolTerminateResult> {
    const { args, flags } = await this.parse(PoolTerminate);
    try {
      return await this.withDatabase((db) =>
        terminateWorker(db, args.worker, {
          force: flags.force,
          onEvent: (event) => {
            const line = event.type === 'terminated' ? eventLine(event) : null;
            if (line && !this.jsonEnabled()) this.log(line);
          },
        }),
      );
    } catch (error) {
      // Its tokens are disabled and the decisions recorded: print them as the result.
      if (error instanceof TerminateFailedError) this.partlyFailed(error.result, error.message);
      throw error;
    }
  }
}
