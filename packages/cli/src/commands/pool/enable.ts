import { setWorkerPoolEnabled, type WorkerPoolView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export type PoolEnableResult = WorkerPoolView;

export default class PoolEnable extends BuildfleetCommand {
  static override summary = 'Let the provisioner launch instances for a worker pool.';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-amd64'];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };

  async run(): Promise<PoolEnableResult> {
    const { args } = await this.parse(PoolEnable);
    const pool = await this.withDatabase((db) => setWorkerPoolEnabled(db, args.name, true));
    if (!this.jsonEnabled()) this.log(`Worker pool "${pool.name}" is enabled.`);
    return pool;
  }
}
