import { queryQueue, type QueueRow } from '../queries/queue';
import { type PageHandler, type StatusSection } from '../types';

export interface QueueData {
  rows: QueueRow[];
  totals: { pending: number; running: number; oldestPendingAt: string | null };
  /** From the host's `queueData` hook (the scheduler), when it passes one. */
  sections: StatusSection[];
}

/** `/queue/`: pending and running work by scope and task, read from work_requests directly. */
export const queuePage: PageHandler = async ({ viewer }, { db, queueData }) => {
  const rows = await queryQueue(db);
  const oldest = rows
    .map((r) => r.oldestPendingAt)
    .filter((at): at is string => at !== null)
    .sort()[0];
  const data: QueueData = {
    rows,
    totals: {
      pending: rows.reduce((sum, r) => sum + r.pending, 0),
      running: rows.reduce((sum, r) => sum + r.running, 0),
      oldestPendingAt: oldest ?? null,
    },
    sections: queueData ? await queueData(viewer) : [],
  };
  return { view: 'queue', title: 'Queue', section: 'queue', path: 'queue/', query: {}, data };
};

export interface DecisionsData {
  /** False until the host passes the provisioner's `decisions` hook. */
  connected: boolean;
  sections: StatusSection[];
}

/** `/decisions/`: what the provisioner decided, as its hook reports it. */
export const decisionsPage: PageHandler = async ({ viewer }, { decisions }) => {
  const data: DecisionsData = { connected: !!decisions, sections: decisions ? await decisions(viewer) : [] };
  return { view: 'decisions', title: 'Provisioning decisions', section: 'decisions', path: 'decisions/', query: {}, data };
};
