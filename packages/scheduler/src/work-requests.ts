import {
  type Database,
  type FieldIssue,
  mergeRequirements,
  NotFoundError,
  parseInput,
  parseRequirements,
  requirementKey,
  type Requirements,
  TASK_TYPES,
  ValidationError,
  type WorkRequestStatus,
} from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { z } from 'zod';
import { taskRequirements } from './task-types';

export interface WorkRequestInput {
  scope: string;
  taskName: string;
  /** (Default: Worker) */
  taskType?: 'Worker' | 'Server' | 'Signing';
  /** Task data; its `worker_requirements` list, if any, adds requirements. (Default: {}) */
  taskData?: Record<string, unknown>;
  /** More requirements, e.g. `["memory_gib>=16", "site:paris"]`. (Default: none) */
  workerRequirements?: string[];
  /** (Default: 0) */
  priorityBase?: number;
  /** (Default: 0) */
  priorityAdjustment?: number;
}

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
  retryCount: number;
}

/** Bounded so that base plus adjustment always fits the database's integer. */
const priority = z
  .number()
  .int('must be a whole number')
  .min(-1_000_000, 'must be between -1000000 and 1000000')
  .max(1_000_000, 'must be between -1000000 and 1000000');

const inputSchema = z.strictObject({
  scope: z.string().min(1, 'give the scope the work belongs to'),
  taskName: z.string().regex(/^[a-z0-9_-]{1,100}$/, 'use lower-case letters, digits, "_" and "-" (e.g. sbuild)'),
  taskType: z.enum(TASK_TYPES).default('Worker'),
  taskData: z.record(z.string(), z.unknown()).default({}),
  workerRequirements: z.array(z.unknown()).default([]),
  priorityBase: priority.default(0),
  priorityAdjustment: priority.default(0),
});

/**
 * Validates and stores a pending work request, with the requirement set its task type and
 * its own `worker_requirements` give (stored once per distinct set, shared by requests).
 */
export async function createWorkRequest(db: Database, input: WorkRequestInput): Promise<WorkRequestView> {
  const data = parseInput(inputSchema, input, 'work request');
  const requirements = collectRequirements(data);
  const scope = await db.models.Scope.findOne({ where: { name: data.scope } });
  if (!scope) throw new NotFoundError('scope', data.scope, 'create it with `buildfleet scope create`');
  const request = await db.sequelize.transaction(async (transaction) =>
    db.models.WorkRequest.create(
      {
        scopeId: scope.id,
        taskType: data.taskType,
        taskName: data.taskName,
        taskData: data.taskData,
        priorityBase: data.priorityBase,
        priorityAdjustment: data.priorityAdjustment,
        workerId: null,
        requirementSetId: await requirementSetIdFor(db, requirements, transaction),
      },
      { transaction },
    ),
  );
  return getWorkRequest(db, request.id);
}

/** The task type's requirements plus both lists of the request's own, with every problem reported at once. */
function collectRequirements(data: z.output<typeof inputSchema>): Requirements {
  const issues: FieldIssue[] = [];
  const parts: Requirements[] = [];
  const attempt = (fn: () => Requirements) => {
    try {
      parts.push(fn());
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
  };
  attempt(() => taskRequirements(data.taskType, data.taskName, data.taskData));
  attempt(() => {
    const own = data.taskData.worker_requirements ?? [];
    if (!Array.isArray(own)) {
      throw ValidationError.single('work request', 'task_data.worker_requirements', 'must be a list such as ["memory_gib>=16"]');
    }
    return parseRequirements(own, 'task_data.worker_requirements', 'work request');
  });
  attempt(() => parseRequirements(data.workerRequirements, 'worker_requirements', 'work request'));
  if (issues.length) throw new ValidationError('work request', issues);
  return mergeRequirements(...parts);
}

/** The id of the stored requirement set equal to `requirements`, creating it if new. */
export async function requirementSetIdFor(
  db: Database,
  requirements: Requirements,
  transaction?: Transaction,
): Promise<string> {
  const [row] = await db.sequelize.query<{ id: string }>(
    `insert into requirement_sets (key, tags, minimums) values ($1, $2::text[], $3::jsonb)
     on conflict (key) do update set key = excluded.key
     returning id`,
    {
      bind: [requirementKey(requirements), requirements.tags, JSON.stringify(requirements.minimums)],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return row!.id;
}

export async function getWorkRequest(db: Database, id: string): Promise<WorkRequestView> {
  if (!/^[0-9]{1,18}$/.test(id)) throw ValidationError.single('work request', 'id', 'must be a work request number');
  const [view] = await queryWorkRequests(db, { id });
  if (!view) throw new NotFoundError('work request', id, 'see `buildfleet work-request list`');
  return view;
}

export async function listWorkRequests(
  db: Database,
  filter: { status?: WorkRequestStatus; scope?: string; limit?: number } = {},
): Promise<WorkRequestView[]> {
  if (filter.scope && !(await db.models.Scope.findOne({ where: { name: filter.scope } }))) {
    throw new NotFoundError('scope', filter.scope, 'see `buildfleet scope list`');
  }
  return queryWorkRequests(db, filter);
}

async function queryWorkRequests(
  db: Database,
  filter: { id?: string; status?: string; scope?: string; limit?: number },
): Promise<WorkRequestView[]> {
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
  }>(
    `select r.id, s.name as scope, r.status, r.result, r.task_type, r.task_name, r.task_data, r.priority_base,
            r.priority_adjustment, rs.key as requirements, w.name as worker, r.created_at, r.started_at,
            r.completed_at, r.retry_count
       from work_requests r
       join scopes s on s.id = r.scope_id
       left join requirement_sets rs on rs.id = r.requirement_set_id
       left join workers w on w.id = r.worker_id
      where ($1::bigint is null or r.id = $1::bigint) and ($2::text is null or r.status = $2::text)
        and ($3::text is null or s.name = $3::text)
      order by r.priority_base + r.priority_adjustment desc, r.created_at, r.id
      limit $4::int`,
    {
      bind: [filter.id ?? null, filter.status ?? null, filter.scope ?? null, filter.limit ?? 1000],
      type: QueryTypes.SELECT,
    },
  );
  return rows.map((r) => ({
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
  }));
}
