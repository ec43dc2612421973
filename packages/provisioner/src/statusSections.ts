import { type Database } from '@buildfleet/models';
import { listDecisions } from './sql/decisions';
import { listPoolHealth } from './sql/poolHealth';

/** The shape of `@buildfleet/status-ui`'s `StatusSection` (structural, to avoid the dependency). */
export interface DecisionSection {
  title: string;
  columns: { key: string; label: string }[];
  rows: Record<string, string | number | boolean | null>[];
  note?: string;
}

/**
 * Tables for the status UI's `/decisions/` page (pass `() => decisionSections(db)` as its
 * `decisions` hook): each pool's launch health and the latest decisions. Nothing in them is
 * secret: provider messages were redacted by `redactingDriver`.
 */
export async function decisionSections(db: Database, { limit = 100 }: { limit?: number } = {}): Promise<DecisionSection[]> {
  const [health, decisions] = await Promise.all([listPoolHealth(db), listDecisions(db, { limit })]);
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
