import { setWorkerEnabled } from '@buildfleet/worker-api';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface WorkerDisableResult {
  worker: string;
  enabled: boolean;
}

export default class WorkerDisable extends BuildfleetCommand {
  static override summary = 'Disable a worker\'s token: its session closes and its pending work goes back to the queue.';
  static override examples = ['<%= config.bin %> <%= command.id %> builder1-example-org'];
  static override args = {
    name: Args.string({ description: 'Name of the worker.', required: true }),
  };

  async run(): Promise<WorkerDisableResult> {
    const { args } = await this.parse(WorkerDisable);
    await this.withDatabase((db) => setWorkerEnabled(db, args.name, false));
    if (!this.jsonEnabled()) this.log(`Worker "${args.name}" is disabled.`);
    return { worker: args.name, enabled: false };
  }
}
