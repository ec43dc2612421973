import { setWorkerEnabled } from '@buildfleet/worker-api';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface WorkerEnableResult {
  worker: string;
  enabled: boolean;
}

export default class WorkerEnable extends BuildfleetCommand {
  static override summary = 'Enable a worker\'s token, so that it may connect and take work.';
  static override examples = ['<%= config.bin %> <%= command.id %> builder1-example-org'];
  static override args = {
    name: Args.string({ description: 'Name of the worker.', required: true }),
  };

  async run(): Promise<WorkerEnableResult> {
    const { args } = await this.parse(WorkerEnable);
    await this.withDatabase((db) => setWorkerEnabled(db, args.name, true));
    if (!this.jsonEnabled()) this.log(`Worker "${args.name}" is enabled.`);
    return { worker: args.name, enabled: true };
  }
}
