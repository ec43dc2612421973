import { type Database, type FieldIssue, issuesOf, ValidationError } from '@buildfleet/models';
import { createWorkRequest } from '@buildfleet/scheduler';
import express, { type Router } from 'express';
import { z } from 'zod';
import { requireUser } from '../auth';
import { type Background } from '../background';
import { jsonBody } from '../body';
import { invalidInput } from '../problem';
import { workRequestResponse } from '../serialize';
import { readWorkRequest } from '../sql/workRequests';

/** Debusine's scope when a client sends no X-Debusine-Scope header. */
export const DEFAULT_SCOPE = 'debusine';

const createBody = z.strictObject({
  task_name: z.string().min(1),
  // Passed on as sent (a record schema would drop a `__proto__` key): the task's own schema checks it.
  task_data: z.unknown().optional(),
  event_reactions: z
    .record(z.string(), z.array(z.unknown()))
    .default({})
    .refine((reactions) => Object.values(reactions).every((actions) => actions.length === 0), {
      message: 'buildfleet runs no event reactions: leave them out',
    }),
  workspace: z.string().min(1).optional(),
});

const BODY_FIELD_OF_INPUT = new Map([
  ['taskName', 'task_name'],
  ['taskData', 'task_data'],
]);

/** The body field a work request input field comes from (`taskName` is the body's `task_name`). */
function bodyField(issue: FieldIssue): FieldIssue {
  return { ...issue, field: BODY_FIELD_OF_INPUT.get(issue.field) ?? issue.field };
}

/** `POST /1.0/work-request/` as `debusine create-work-request` sends it, with a user token. */
export function workRequestRoutes(db: Database, background: Background): Router {
  const router = express.Router();

  router.post('/1.0/work-request/', requireUser(db), jsonBody('1mb'), async (req, res) => {
    const parsed = createBody.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Cannot create work request', issuesOf(parsed.error, createBody));
    const created = await createWorkRequest(db, {
      scope: req.get('x-debusine-scope') ?? DEFAULT_SCOPE,
      taskName: parsed.data.task_name,
      taskType: 'Worker',
      taskData: parsed.data.task_data as Record<string, unknown> | undefined,
    }).catch((error: unknown) => {
      if (error instanceof ValidationError) throw invalidInput('Cannot create work request', error.issues.map(bodyField));
      throw error;
    });
    const row = await readWorkRequest(db, created.id);
    // Debusine answers 200 here, not 201.
    res.status(200).json(workRequestResponse(row!));
    background.queued([created.id], 'a new work request');
  });

  return router;
}
