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
} from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { z } from 'zod';
import { notifyWorkRequested } from './sql/workRequested';
import { taskRequirements } from './task-types';
import { getWorkRequest, type WorkRequestView } from './work-request-views';

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

/** Bounded so that base plus adjustment always fits the database's integer. */
export const PRIORITY = z
  .number()
  .int('must be a whole number')
  .min(-1_000_000, 'must be between -1000000 and 1000000')
  .max(1_000_000, 'must be between -1000000 and 1000000');

const inputSchema = z.strictObject({
  scope: z.string().min(1, 'give the scope the work belongs to'),
  taskName: z.string().regex(/^[a-z0-9_-]{1,100}$/, 'use lower-case letters, digits, "_" and "-" (e.g. sbuild)'),
  taskType: z.enum(TASK_TYPES).default('Worker'),
  // Kept as given (a record schema would drop a `__proto__` key): the task's schema checks it.
  taskData: z
    .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
      message: 'must be a mapping of task data fields',
    })
    .default({}),
  workerRequirements: z.array(z.unknown()).default([]),
  priorityBase: PRIORITY.default(0),
  priorityAdjustment: PRIORITY.default(0),
});

/**
 * The one validation of a work request, for every way one is created (the worker API's
 * `POST /work-request/`, `buildfleet work-request create`, the demo): the input's fields, the
 * task name against the known tasks, the task data against the task's schema, and every
 * requirement string. Returns the input with defaults and the requirement set it implies, or
 * throws a ValidationError naming every problem at once.
 */
export function validateWorkRequest(input: WorkRequestInput): {
  data: z.output<typeof inputSchema>;
  requirements: Requirements;
} {
  const data = parseInput(inputSchema, input, 'work request');
  return { data, requirements: collectRequirements(data) };
}

/**
 * Validates (`validateWorkRequest`) and stores a pending work request created at `now`
 * (default: the database's clock), with the requirement set its task and its own
 * `worker_requirements` give (stored once per distinct set, shared by requests). Nothing is
 * written for a refused one.
 */
export async function createWorkRequest(db: Database, input: WorkRequestInput, { now }: { now?: Date } = {}): Promise<WorkRequestView> {
  const { data, requirements } = validateWorkRequest(input);
  const scope = await db.models.Scope.findOne({ where: { name: data.scope } });
  if (!scope) throw new NotFoundError('scope', data.scope, 'create it with `buildfleet scope create`');
  const request = await db.sequelize.transaction(async (transaction) => {
    const created = await db.models.WorkRequest.create(
      {
        scopeId: scope.id,
        taskType: data.taskType,
        taskName: data.taskName,
        taskData: data.taskData,
        priorityBase: data.priorityBase,
        priorityAdjustment: data.priorityAdjustment,
        workerId: null,
        requirementSetId: await requirementSetIdFor(db, requirements, transaction),
        ...(now ? { createdAt: now } : {}),
      },
      { transaction },
    );
    await notifyWorkRequested(db, [created.id], transaction);
    return created;
  });
  return getWorkRequest(db, request.id);
}

/** The task's requirements plus both lists of the request's own, with every problem reported at once. */
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
    const own = (Object.hasOwn(data.taskData, 'worker_requirements') ? data.taskData.worker_requirements : undefined) ?? [];
    if (!Array.isArray(own)) {
      throw ValidationError.single('work request', 'task_data.worker_requirements', 'must be a list such as ["memory_gib>=16"]');
    }
    return parseRequirements(own, 'task_data.worker_requirements', 'work request');
  });
  attempt(() => parseRequirements(data.workerRequirements, 'worker_requirements', 'work request'));
  if (issues.length) throw new ValidationError('work request', issues);
  return mergeRequirements(...parts);
}

/**
 * The id of the stored requirement set equal to `requirements`, creating it if new. An existing
 * set is only read: upserting it (`do update`) wrote a new version of its row and held that
 * row's lock until commit, so every request created with the same requirements waited for the
 * previous creation's transaction (5–7 ms each at 100 creations a second). When another
 * transaction creates the same new set meanwhile, the insert waits for it and the statement's
 * snapshot, taken before, does not see it: the statement runs once more and reads it.
 */
export async function requirementSetIdFor(
  db: Database,
  requirements: Requirements,
  transaction?: Transaction,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const [row] = await db.sequelize.query<{ id: string }>(
      `with inserted as (
         insert into requirement_sets (key, tags, minimums) values ($1, $2::text[], $3::jsonb)
         on conflict (key) do nothing
         returning id
       )
       select id from inserted union all select id from requirement_sets where key = $1`,
      {
        bind: [requirementKey(requirements), requirements.tags, JSON.stringify(requirements.minimums)],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    if (row) return row.id;
    if (attempt === 2) throw new Error(`requirement set ${requirementKey(requirements)} neither stored nor found`);
  }
}
