import { updateWorkerPool, type WorkerPoolView } from '@buildfleet/models';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { poolFlags, providerAccount } from '../../shared/flags';
import { poolDetails } from '../../shared/format';
import { poolInputFromFlags } from '../../shared/pool-input';

export type PoolUpdateResult = WorkerPoolView;

export default class PoolUpdate extends BuildfleetCommand {
  static override summary = 'Change some fields of an existing worker pool.';
  static override description = 'Only the given flags change; the others keep their values.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> aws-amd64 --limits limits.yaml',
    '<%= config.bin %> <%= command.id %> aws-amd64 --tags executor:unshare,memory_gib=16 --no-ephemeral',
  ];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };
  static override flags = { 'provider-account': providerAccount(), ...poolFlags({ creating: false }) };

  async run(): Promise<PoolUpdateResult> {
    const { args, flags } = await this.parse(PoolUpdate);
    const patch = await poolInputFromFlags(flags);
    const pool = await this.withDatabase((db) => updateWorkerPool(db, args.name, patch));
    if (!this.jsonEnabled()) this.log(`Updated worker pool "${pool.name}".\n\n${poolDetails(pool)}`);
    return pool;
  }
}
