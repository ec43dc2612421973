import { type Database, issuesOf, WORKER_TYPES, type WorkerType } from '@buildfleet/models';
import { refreshWorkerTags, startNextForWorker } from '@buildfleet/scheduler';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { authenticatedWorker, authenticateWorker, requireWorker, setAuthenticatedWorker, setRequestWorkerName, workerTokenHash } from '../auth';
import { type Background } from '../background';
import { jsonBody } from '../body';
import { type Logger } from '../interfaces';
import { invalidInput, ProblemError } from '../problem';
import { AddressRateLimit, type SelfRegistrationOptions } from '../registration';
import { workRequestResponse } from '../serialize';
import { authenticateToken } from '../sql/authenticate';
import { storeDynamicMetadata } from '../sql/metadata';
import { activateWorker, registerStaticWorker } from '../sql/register';
import { completeWorkRequest, completeWorkRequestForToken, completionTarget, startWaitingForToken } from '../sql/workRequests';

// Unknown fields are ignored, as Debusine's serializers do, so newer workers keep working.
const registerBody = z.object({
  token: z.string().regex(/^[\x21-\x7e]{1,64}$/, 'give the new worker token: at most 64 printable characters'),
  fqdn: z.string().min(1).max(400),
  worker_type: z.enum(WORKER_TYPES.filter((t) => t !== 'celery') as ['external', 'signing']).default('external'),
});

const count = z.number().int().min(0).max(2 ** 31 - 1);
const completedBody = z.object({
  result: z.enum(['success', 'failure', 'error', 'skipped']),
  output_data: z
    .looseObject({
      runtime_statistics: z
        .looseObject({
          duration: count.optional(),
          cpu_time: count.optional(),
          disk_space: z.number().int().min(0).optional(),
          memory: z.number().int().min(0).optional(),
          available_disk_space: z.number().int().min(0).optional(),
          available_memory: z.number().int().min(0).optional(),
          cpu_count: count.optional(),
        })
        .optional(),
      errors: z.array(z.object({ message: z.string(), code: z.string() })).optional(),
      skip_reason: z.string().optional(),
    })
    .optional(),
});

const metadataBody = z.record(z.string(), z.unknown());

/** Registration, dynamic metadata, and fetching and completing work: what debusine-worker calls. */
export function workerRoutes(
  db: Database,
  background: Background,
  logger: Logger,
  selfRegistration: Required<SelfRegistrationOptions> | false,
  gate: RequestHandler,
): Router {
  const router = express.Router();
  const json = jsonBody('1mb');
  const worker = requireWorker(db);
  // A body refused before the route runs is answered after the token check, as when requireWorker came first.
  const jsonAfterWorkerCheck: RequestHandler = (req, res, next) =>
    json(req, res, (error?: unknown) => {
      if (!error) return next();
      authenticateWorker(db, req, res).then(() => next(error), next);
    });

  const rateLimit = selfRegistration && new AddressRateLimit(selfRegistration.perAddressPerHour);
  const registerUnauthenticated = async (req: Request, worker: { fqdn: string; workerType: WorkerType; newKey: string }) => {
    if (!selfRegistration || !rateLimit) {
      throw new ProblemError(
        403,
        'Cannot register worker',
        'This server takes no registration without an activation token: an admin creates the worker ' +
          '(`buildfleet worker create <fqdn>`) and puts its activation key in /etc/debusine/worker/activation-token',
      );
    }
    const waitMs = rateLimit.take(req.socket.remoteAddress ?? '');
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new ProblemError(429, 'Cannot register worker', `Too many registrations from this address: retry in ${seconds} s`, undefined, {
        'Retry-After': String(seconds),
      });
    }
    const name = await registerStaticWorker(db, { ...worker, maxPending: selfRegistration.maxPendingWorkers });
    if (name === 'duplicate') throw new ProblemError(409, 'Cannot register worker', 'This worker token is already registered');
    if (name === 'full') {
      throw new ProblemError(
        429,
        'Cannot register worker',
        `${selfRegistration.maxPendingWorkers} registered workers already wait for an admin to enable them: ` +
          'enable or delete those first (`buildfleet worker list`)',
      );
    }
    return name;
  };

  router.post('/1.0/worker/register/', gate, json, async (req, res) => {
    const parsed = registerBody.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Cannot deserialize worker', issuesOf(parsed.error, registerBody));
    const { token: newKey, fqdn, worker_type: workerType } = parsed.data;
    const activationKey = req.get('token');
    if (activationKey !== undefined) {
      // A pool (or admin-created) worker exchanging its activation token; the FQDN is ignored.
      const token = await authenticateToken(db, activationKey);
      const name = token?.activatingWorkerId ? await activateWorker(db, token.id, token.activatingWorkerId, newKey) : null;
      if (name === null) {
        throw new ProblemError(
          403,
          'Cannot register worker',
          'The activation token is unknown, already used or expired: give the worker a new one',
        );
      }
      setRequestWorkerName(res, name);
      logger.info(`worker-api: worker ${name} activated`);
    } else {
      const name = await registerUnauthenticated(req, { fqdn, workerType, newKey });
      setRequestWorkerName(res, name);
      logger.info(`worker-api: static worker ${name} registered; an admin must enable it`);
    }
    res.status(201).end();
  });

  router.put('/1.0/worker/dynamic-metadata/', gate, worker, json, async (req, res) => {
    const parsed = metadataBody.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Invalid dynamic metadata', issuesOf(parsed.error, metadataBody));
    const { id } = authenticatedWorker(res);
    await storeDynamicMetadata(db, id, parsed.data);
    await refreshWorkerTags(db, [id]);
    res.status(204).end();
    background.dispatchFor(id, 'a metadata update');
  });

  router.get('/1.0/work-request/get-next-for-worker/', gate, async (req, res) => {
    // The token is checked inside the statement that starts the request already waiting.
    const hash = workerTokenHash(req);
    const waiting = hash === null ? null : await startWaitingForToken(db, hash);
    if (waiting) setAuthenticatedWorker(res, waiting.worker);
    const { id, name } = waiting?.worker ?? (await authenticateWorker(db, req, res));
    const { started, lost } = waiting?.started
      ? { started: waiting.started, lost: { aborted: [], retries: [] } }
      : await startNextForWorker(db, id, waiting ? { running: waiting.running } : {});
    if (lost.aborted.length) {
      logger.warn(
        `worker-api: worker ${name} asked for work while running ${lost.aborted.join(', ')}: aborted; ` +
          `retried as ${lost.retries.map((r) => `${r.id} (for ${r.supersedes})`).join(', ') || 'none (retries exhausted)'}`,
      );
    }
    if (!started) {
      res.status(204).end();
      return;
    }
    res.status(200).json(workRequestResponse(started));
  });

  router.put('/1.0/work-request/:id/completed/', jsonAfterWorkerCheck, async (req, res) => {
    const workRequestId = String(req.params.id);
    const parsed = completedBody.safeParse(req.body);
    const hash = workerTokenHash(req);
    // A valid report is checked (token, request, its worker) and applied in one statement; an
    // invalid one is refused after the same checks, in Debusine's order.
    const reported =
      hash !== null && parsed.success && /^[0-9]{1,18}$/.test(workRequestId)
        ? await completeWorkRequestForToken(db, workRequestId, hash, parsed.data.result, parsed.data.output_data ?? {})
        : null;
    if (reported) setAuthenticatedWorker(res, reported.worker);
    const { id: workerId } = reported?.worker ?? (await authenticateWorker(db, req, res));
    const outcome =
      reported?.outcome ??
      (/^[0-9]{1,18}$/.test(workRequestId)
        ? parsed.success
          ? await completeWorkRequest(db, workRequestId, workerId, parsed.data.result, parsed.data.output_data ?? {})
          : await completionTarget(db, workRequestId, workerId)
        : 'missing');
    if (outcome === 'missing') throw new ProblemError(404, 'Work request not found');
    if (outcome === 'other-worker') throw new ProblemError(401, 'Invalid worker to update the work request');
    if (!parsed.success) throw invalidInput('Cannot change work request as completed', issuesOf(parsed.error, completedBody));
    // Exactly 200 with an empty body: the worker treats anything else as a failed report.
    res.status(200).end();
    if (reported?.settle) background.settledWith(workerId, reported.settle, 'a completion');
    else background.dispatchFor(workerId, 'a completion');
  });

  return router;
}
