import { type WorkerPoolView } from '@buildfleet/models';
import { type Decision, upsertPool } from '@buildfleet/provisioner';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { poolFlags, providerAccount } from '../../shared/flags';
import { poolDetails } from '../../shared/format';
import { poolInputFromFlags } from '../../shared/pool-input';

export interface PoolCreateResult {
  pool: WorkerPoolView;
  /** False when a pool of that name existed and the given flags updated it. */
  created: boolean;
  /** The recorded decision when an update changed the pool's image (see `pool update`). */
  imageDecision: Decision | null;
}

export default class PoolCreate extends BuildfleetCommand {
  static override summary = 'Create a worker pool, or update the one with the same name.';
  static override description =
    'Idempotent on the name, like debusine-admin worker_pool create: running it again applies the given flags to the existing pool, so it is safe from configuration management. A new pool needs --provider-account, --architectures and --specifications; a pool that is not instance-wide also needs --scope.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> aws-amd64 --provider-account aws-main --architectures amd64 --specifications spec.yaml',
    '<%= config.bin %> <%= command.id %> hetzner-small --provider-account hetzner --architectures amd64,i386 --tags executor:unshare --specifications - --limits limits.yaml < spec.yaml',
    '<%= config.bin %> <%= command.id %> team-pool --provider-account aws-main --architectures arm64 --specifications spec.yaml --no-instance-wide --scope team',
  ];
  static override args = { name: Args.string({ description: 'Name of the pool.', required: true }) };
  static override flags = { 'provider-account': providerAccount({ required: true }), ...poolFlags({ creating: true }) };

  async run(): Promise<PoolCreateResult> {
    const { args, flags } = await this.parse(PoolCreate);
    const input = await poolInputFromFlags(flags);
    const { pool, created, decision } = await this.withDatabase((db) =>
      upsertPool(db, { ...input, name: args.name, providerAccount: flags['provider-account'] }),
    );
    if (!this.jsonEnabled()) {
      this.log(`${created ? 'Created' : 'Updated'} worker pool "${pool.name}".${decision ? `\n${decision.message}` : ''}\n`);
      this.log(poolDetails(pool));
    }
    return { pool, created, imageDecision: decision };
  }
}
