import { setWorkerPoolEnabled, type WorkerPoolView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export type PoolDisableResult = WorkerPoolView;

export default class PoolDisable extends BuildfleetCommand {
  static override summary = 'Stop the provisioner launching instances for a worker pool (running ones stay).';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-amd64'];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };

  async run(): Promise<PoolDisableResult> {
    const { args } = await this.parse(PoolDisable);
    const pool = await this.withDatabase((db) => setWorkerPoolEnabled(db, args.name, false));
    if (!this.jsonEnabled()) this.log(`Worker pool "${pool.name}" is disabled.`);
    return pool;
  }
}
