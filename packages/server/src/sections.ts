import { type DecisionView, type PoolHealthView } from '@buildfleet/provisioner';
import { type LostWorkView, type UnmetDemand } from '@buildfleet/scheduler';
import { type StatusSection } from '@buildfleet/status-ui';

/**
 * The tables of the status UI's `/decisions/` page: each pool's launch health and the latest
 * decisions. Nothing in them is secret: provider messages were redacted by the drivers.
 */
export function decisionSections(health: PoolHealthView[], decisions: DecisionView[]): StatusSection[] {
  return [
    {
      title: 'Pool health',
      note: 'A pool whose launches failed is skipped until its backoff ends; its demand goes to the next pool.',
      columns: [
        { key: 'pool', label: 'Pool' },
        { key: 'failures', label: 'Consecutive failures' },
        { key: 'backoffUntil', label: 'Backing off until' },
        { key: 'lastError', label: 'Last error' },
      ],
      rows: health.map((h) => ({
        pool: h.pool,
        failures: h.consecutiveFailures,
        backoffUntil: h.backoffUntil,
        lastError: h.lastErrorKind ? `${h.lastErrorKind}: ${h.lastErrorMessage ?? ''}` : null,
      })),
    },
    {
      title: 'Latest decisions',
      columns: [
        { key: 'decidedAt', label: 'Time' },
        { key: 'kind', label: 'Kind' },
        { key: 'reason', label: 'Reason' },
        { key: 'message', label: 'Message' },
      ],
      rows: decisions.map((d) => ({ decidedAt: d.decidedAt, kind: d.kind, reason: d.reason, message: d.message })),
    },
  ];
}

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
      { key: 'excluded', label: 'Workers excluded' },
    ],
    rows: demand.map((d) => ({
      scope: d.scope,
      requirements: d.requirementSet.key,
      pending: d.pending,
      oldest: d.oldestCreatedAt,
      pools: d.pools.length
        ? d.pools.map((p) => `${p.name}${p.enabled ? '' : ' (disabled)'}`).join(', ')
        : 'none: no pool can run this',
      excluded: d.excludedWorkers.map((w) => `${w.name}: ${w.reason}`).join('; '),
    })),
  };
}

/** The work most recently aborted because its worker was lost, with why, for the queue page. */
export function lostWorkSection(lost: LostWorkView[]): StatusSection {
  return {
    title: 'Work lost with its worker',
    note: 'Running work aborted because its worker disconnected for too long, was disabled, deleted or terminated; retried up to 3 times.',
    columns: [
      { key: 'id', label: 'Work request' },
      { key: 'scope', label: 'Scope' },
      { key: 'task', label: 'Task' },
      { key: 'worker', label: 'Worker' },
      { key: 'abortedAt', label: 'Aborted' },
      { key: 'reason', label: 'Reason' },
      { key: 'retriedAs', label: 'Retried as' },
    ],
    rows: lost.map((l) => ({
      id: l.id,
      scope: l.scope,
      task: l.taskName,
      worker: l.worker ?? '-',
      abortedAt: l.abortedAt,
      reason: l.reason,
      retriedAs: l.retriedAs ?? 'not retried: retries used up',
    })),
  };
}
