import { getUnmetDemand, type UnmetDemand } from '@buildfleet/scheduler';
import { BuildfleetCommand } from '../../shared/base-command';
import { list, renderTable } from '../../shared/format';

export type ScheduleDemandResult = UnmetDemand[];

export default class ScheduleDemand extends BuildfleetCommand {
  static override summary = 'Show the pending work no connected worker can take now, and the pools that could serve it.';
  static override description =
    'Plans a dispatch pass without writing anything, and groups what would stay unassigned by scope and requirement set. Pools are listed preferred first: those the scope links, by priority, then other instance-wide pools; a disabled pool is marked so. Connected workers that report a task but may not run it (a task version other than buildfleet\'s, when the fleet runs mixed worker versions, or their allow or deny list) are listed under the table with why.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<ScheduleDemandResult> {
    await this.parse(ScheduleDemand);
    const demand = await this.withDatabase((db) => getUnmetDemand(db));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Scope', 'Requirements', 'Pending', 'Oldest', 'Pools'],
          demand.map((d) => [
            d.scope,
            d.requirementSet.key || '-',
            String(d.pending),
            d.oldestCreatedAt,
            list(d.pools.map((p) => (p.enabled ? p.name : `${p.name} (disabled)`))),
          ]),
          'No unmet demand: a free worker can take every pending work request.',
        ),
      );
      for (const d of demand) {
        for (const worker of d.excludedWorkers) this.log(`Excluded from ${d.requirementSet.key}: ${worker.name} ${worker.reason}`);
      }
    }
    return demand;
  }
}
