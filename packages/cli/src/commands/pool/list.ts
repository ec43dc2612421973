import { listWorkerPools, type WorkerPoolView } from '@buildfleet/models';
import { BuildfleetCommand } from '../../shared/base-command';
import { list, renderTable, yesNo } from '../../shared/format';

export type PoolListResult = WorkerPoolView[];

export default class PoolList extends BuildfleetCommand {
  static override summary = 'List worker pools.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<PoolListResult> {
    await this.parse(PoolList);
    const pools = await this.withDatabase((db) => listWorkerPools(db));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Name', 'Account', 'Provider', 'Enabled', 'Architectures', 'Scopes', 'Workers', 'Running'],
          pools.map((p) => [
            p.name,
            p.providerAccount,
            p.providerType,
            yesNo(p.enabled),
            list(p.architectures),
            p.instanceWide ? `all (${p.scopes.length} linked)` : list(p.scopes.map((s) => s.scope)),
            String(p.workers.total),
            String(p.workers.running),
          ]),
          `No worker pools. Create one with \`${this.config.bin} pool create\`.`,
        ),
      );
    }
    return pools;
  }
}
