import { type Migration } from './types';

/**
 * The waiting queue (pending requests no worker holds yet) gets indexes of its own, in queue
 * order (effective priority descending, then age, then id):
 *
 * - `work_requests_waiting_by_group`: per (requirement set, scope) group, so a dispatch pass
 *   reads each group's head as a range of this index (a `limit` per group) and counts the
 *   groups and unmet demand from it alone; the priority columns are included so those reads are
 *   index-only (PostgreSQL reads an expression from an index only when its columns are there).
 *   It replaces `work_requests_pending_by_requirement_set`, its first column.
 * - `work_requests_waiting_by_priority`: the whole waiting queue, for a worker asking for its
 *   next request. It replaces `work_requests_pending_by_priority`, which also held assigned
 *   pending requests, so every assignment inserted an entry there; an assigned request leaves
 *   both new indexes instead (their condition no longer holds), and is not added to either.
 *
 * Priority stays two columns and an expression, not a stored generated column: adding one
 * would rewrite the whole table under an exclusive lock.
 */
export const waitingQueueIndexes: Migration = {
  name: '0014-waiting-queue-indexes',
  up: `
create index work_requests_waiting_by_group
  on work_requests (requirement_set_id, scope_id, (priority_base + priority_adjustment) desc, created_at, id)
  include (priority_base, priority_adjustment)
  where status = 'pending' and worker_id is null;
drop index work_requests_pending_by_requirement_set;

create index work_requests_waiting_by_priority
  on work_requests ((priority_base + priority_adjustment) desc, created_at, id)
  where status = 'pending' and worker_id is null;
drop index work_requests_pending_by_priority;
`,
  down: `
create index work_requests_pending_by_priority
  on work_requests ((priority_base + priority_adjustment) desc, created_at) where status = 'pending';
drop index work_requests_waiting_by_priority;

create index work_requests_pending_by_requirement_set
  on work_requests (requirement_set_id) where status = 'pending' and worker_id is null;
drop index work_requests_waiting_by_group;
`,
};
