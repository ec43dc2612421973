import {
  type Database,
  type FieldIssue,
  NotFoundError,
  ValidationError,
  WORK_REQUEST_STATUSES,
  type WorkRequestStatus,
} from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

/** A work request as admins and clients see it. */
export interface WorkRequestView {
  id: string;
  scope: string;
  status: WorkRequestStatus;
  result: string;
  taskType: string;
  taskName: string;
  taskData: Record<string, unknown>;
  priority: { base: number; adjustment: number; effective: number };
  requirements: string;
  worker: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** How many retries came before this request (0 for an original). */
  retryCount: number;
  /** The request this one retries, and the one that retries it. */
  supersedes: string | null;
  supersededBy: string | null;
  /** What went wrong, oldest first: reported by the worker, or why buildfleet aborted it. */
  errors: { message: string; code: string }[];
}

export interface WorkRequestFilter {
  status?: WorkRequestStatus;
  scope?: string;
  worker?: string;
  task?: string;
  /** At most this many (1-1000). (Default: 100) */
  limit?: number;
  /** Only requests older than this one: the `next` cursor of the previous page. */
  before?: string;
}

export interface WorkRequestPage {
  /** Newest first. */
  workRequests: WorkRequestView[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: string | null;
}

const ID = /^[0-9]{1,18}$/;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

export async function getWorkRequest(db: Database, id: string): Promise<WorkRequestView> {
  if (!ID.test(id)) throw ValidationError.single('work request', 'id', 'must be a work request number');
  const [view] = await queryWorkRequests(db, { id, limit: 1 });
  if (!view) throw new NotFoundError('work request', id, 'see `buildfleet work-request list`');
  return view;
}

/** Work requests newest first, filtered, one page at a time. */
export async function listWorkRequests(db: Database, filter: WorkRequestFilter = {}): Promise<WorkRequestPage> {
  const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
  const issues: FieldIssue[] = [];
  if (filter.status !== undefined && !WORK_REQUEST_STATUSES.includes(filter.status)) {
    issues.push({ field: 'status', message: `must be one of ${WORK_REQUEST_STATUSES.join(', ')}` });
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    issues.push({ field: 'limit', message: `give a whole number from 1 to ${MAX_LIST_LIMIT}` });
  }
  if (filter.before !== undefined && !ID.test(filter.before)) {
    issues.push({ field: 'before', message: 'give the `next` cursor of a previous page (a work request number)' });
  }
  if (issues.length) throw new ValidationError('work request list', issues);
  if (filter.scope !== undefined && !(await db.models.Scope.findOne({ where: { name: filter.scope } }))) {
    throw new NotFoundError('scope', filter.scope, 'see `buildfleet scope list`');
  }
  if (filter.worker !== undefined && !(await db.models.Worker.findOne({ where: { name: filter.worker } }))) {
    throw new NotFoundError('worker', filter.worker, 'see `buildfleet worker list`');
  }
  const rows = await queryWorkRequests(db, { ...filter, limit: limit + 1 });
  const workRequests = rows.slice(0, limit);
  return { workRequests, next: rows.length > limit ? workRequests[workRequests.length - 1]!.id : null };
}

async function queryWorkRequests(db: Database, filter: Omit<WorkRequestFilter, 'limit'> & { id?: string; limit: number }) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const rows = await db.sequelize.query<{
    id: string;
    scope: string;
    status: WorkRequestStatus;
    result: string;
    task_type: string;
    task_name: string;
    task_data: Record<string, unknown>;
    priority_base: number;
    priority_adjustment: number;
    requirements: string | null;
    worker: string | null;
    created_at: Date;
    started_at: Date | null;
    completed_at: Date | null;
    retry_count: number;
    supersedes_id: string | null;
    superseded_by: string | null;
    errors: unknown;
  }>(
    `select r.id, s.name as scope, r.status, r.result, r.task_type, r.task_name, r.task_data, r.priority_base,
            r.priority_adjustment, rs.key as requirements, w.name as worker, r.created_at, r.started_at,
            r.completed_at, r.retry_count, r.supersedes_id::text,
            (select n.id::text from work_requests n where n.supersedes_id = r.id) as superseded_by,
            r.output_data -> 'errors' as errors
       from work_requests r
       join scopes s on s.id = r.scope_id
       left join requirement_sets rs on rs.id = r.requirement_set_id
       left join workers w on w.id = r.worker_id
      where ($1::bigint is null or r.id = $1::bigint) and ($2::text is null or r.status = $2::text)
        and ($3::text is null or s.name = $3::text) and ($4::text is null or w.name = $4::text)
        and ($5::text is null or r.task_name = $5::text) and ($6::bigint is null or r.id < $6::bigint)
      order by r.id desc
      limit $7::int`,
    {
      bind: [
        filter.id ?? null,
        filter.status ?? null,
        filter.scope ?? null,
        filter.worker ?? null,
        filter.task ?? null,
        filter.before ?? null,
        filter.limit,
      ],
      type: QueryTypes.SELECT,
    },
  );
  return rows.map(
    (r): WorkRequestView => ({
      id: r.id,
      scope: r.scope,
      status: r.status,
      result: r.result,
      taskType: r.task_type,
      taskName: r.task_name,
      taskData: r.task_data,
      priority: { base: r.priority_base, adjustment: r.priority_adjustment, effective: r.priority_base + r.priority_adjustment },
      requirements: r.requirements ?? '',
      worker: r.worker,
      createdAt: r.created_at.toISOString(),
      startedAt: iso(r.started_at),
      completedAt: iso(r.completed_at),
      retryCount: r.retry_count,
      supersedes: r.supersedes_id,
      supersededBy: r.superseded_by,
      errors: errorsOf(r.errors),
    }),
  );
}

/** The well-formed entries of `output_data.errors`, which a worker may have reported in any shape. */
function errorsOf(value: unknown): { message: string; code: string }[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({ message: String(e.message ?? ''), code: String(e.code ?? '') }));
}
