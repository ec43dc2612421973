import { type Database, issuesOf, ValidationError } from '@buildfleet/models';
import {
  abortWorkRequestsAsAdmin,
  listWorkRequests,
  MAX_LIST_LIMIT,
  retryWorkRequest,
  setPriorityAdjustment,
} from '@buildfleet/scheduler';
import express, { type Request, type Router } from 'express';
import { jsonBody } from '../body';
import { z } from 'zod';
import { apiUrl, requireAdmin, requireUser } from '../auth';
import { type Background } from '../background';
import { invalidInput, ProblemError } from '../problem';
import { workRequestResponse } from '../serialize';
import { readWorkRequestsWithArtifacts } from '../sql/workRequests';
import { DEFAULT_SCOPE } from './workRequests';

const ID_PATH = '/1.0/work-request/:id/';
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(100),
  before: z.string().regex(/^[0-9]{1,18}$/, 'give the cursor of a `next` link').optional(),
});
const patchBody = z.strictObject({ priority_adjustment: z.number().int() });

/**
 * What `debusine show-work-request`, `list-work-requests`, `retry-work-request` and
 * `manage-work-request` call, with a user token (an admin's to change a priority), plus buildfleet's
 * own abort. Lists page newest first in Debusine's `{count, next, previous, results}` shape.
 */
export function clientWorkRequestRoutes(db: Database, background: Background): Router {
  const router = express.Router();
  const user = requireUser(db);
  const json = jsonBody('64kb');

  router.get('/1.0/work-request/', user, async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) throw invalidInput('Invalid query', issuesOf(parsed.error, listQuery));
    const { limit, before } = parsed.data;
    const page = await listWorkRequests(db, { scope: scopeOf(req), limit, before });
    const rows = await readWorkRequestsWithArtifacts(db, page.workRequests.map((r) => r.id));
    res.status(200).json({
      count: null,
      next: page.next ? `${apiUrl(req)}/1.0/work-request/?limit=${limit}&before=${page.next}` : null,
      previous: null,
      results: rows.map((row) => workRequestResponse(row, row.artifact_ids)),
    });
  });

  router.get(ID_PATH, user, async (req, res) => {
    res.status(200).json(await responseFor(db, idOf(req)));
  });

  router.patch(ID_PATH, user, requireAdmin(), json, async (req, res) => {
    const parsed = patchBody.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Cannot update work request', issuesOf(parsed.error, patchBody));
    const id = idOf(req);
    await withInputErrors('Cannot update work request', () => setPriorityAdjustment(db, id, parsed.data.priority_adjustment));
    res.status(200).json(await responseFor(db, id));
    background.dispatchAll('a priority change');
  });

  router.post(`${ID_PATH}retry/`, user, async (req, res) => {
    const retry = await retryWorkRequest(db, idOf(req));
    res.status(200).json(await responseFor(db, retry.id));
    background.queued([retry.id], 'a retry');
  });

  router.post(`${ID_PATH}abort/`, user, async (req, res) => {
    const id = idOf(req);
    await abortWorkRequestsAsAdmin(db, [id], { reason: `Aborted by ${String(res.locals.user)} through the API` });
    res.status(200).json(await responseFor(db, id));
  });

  return router;
}

function idOf(req: Request): string {
  const id = String(req.params.id);
  if (!/^[0-9]{1,18}$/.test(id)) throw new ProblemError(404, 'Work request not found', `No work request has the id "${id}"`);
  return id;
}

function scopeOf(req: Request): string {
  return req.get('x-debusine-scope') ?? DEFAULT_SCOPE;
}

async function responseFor(db: Database, id: string): Promise<Record<string, unknown>> {
  const [row] = await readWorkRequestsWithArtifacts(db, [id]);
  if (!row) throw new ProblemError(404, 'Work request not found', `Work request ${id} does not exist`);
  return workRequestResponse(row, row.artifact_ids);
}

async function withInputErrors<T>(title: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ValidationError) throw invalidInput(title, error.issues);
    throw error;
  }
}
