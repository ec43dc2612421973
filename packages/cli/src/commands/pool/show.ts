import { getWorkerPool, type WorkerPoolView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { poolDetails } from '../../shared/format';

export type PoolShowResult = WorkerPoolView;

export default class PoolShow extends BuildfleetCommand {
  static override summary = 'Show a worker pool: its specification, limits, scopes and workers.';
  static override examples = ['<%= config.bin %> <%= command.id %> aws-amd64', '<%= config.bin %> <%= command.id %> aws-amd64 --json'];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };

  async run(): Promise<PoolShowResult> {
    const { args } = await this.parse(PoolShow);
    const pool = await this.withDatabase((db) => getWorkerPool(db, args.name));
    if (!this.jsonEnabled()) this.log(poolDetails(pool));
    return pool;
  }
}
