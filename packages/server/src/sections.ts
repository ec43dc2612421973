import { type UnmetDemand } from '@buildfleet/scheduler';
import { type StatusSection } from '@buildfleet/status-ui';

/** The scheduler's unmet demand as a table for the status UI's queue page. */
export function unmetDemandSection(demand: UnmetDemand[]): StatusSection {
  return {
    title: 'Unmet demand',
    note: 'Pending work no connected worker can take now, by scope and requirement set, with the pools able to serve it.',
    columns: [
      { key: 'scope', label: 'Scope' },
      { key: 'requirements', label: 'Requirement set' },
      { key: 'pending', label: 'Pending' },
      { key: 'oldest', label: 'Oldest' },
      { key: 'pools', label: 'Pools that could serve it' },
    ],
    rows: demand.map((d) => ({
      scope: d.scope,
      requirements: d.requirementSet.key,
      pending: d.pending,
      oldest: d.oldestCreatedAt,
      pools: d.pools.length
        ? d.pools.map((p) => `${p.name}${p.enabled ? '' : ' (disabled)'}`).join(', ')
        : 'none: no pool can run this',
    })),
  };
}
