import { type Database } from '@buildfleet/models';
import { type Request, type RequestHandler, type Response } from 'express';
import { type AuthenticatedWorker } from './interfaces';
import { notAuthenticated, ProblemError } from './problem';
import { authenticateToken, tokenKeyHash } from './sql/authenticate';

/** Lets a request through only with an enabled worker token (Debusine's IsWorkerAuthenticated). */
export function requireWorker(db: Database): RequestHandler {
  return async (req, res, next) => {
    await authenticateWorker(db, req, res);
    next();
  };
}

/**
 * requireWorker's check for a route that runs it itself: the worker of the request's token
 * (also in authenticatedWorker(res) after), else a 403. The hot routes of the task cycle check
 * the token inside their own statement (workerTokenCtesSql, with workerTokenHash) and call
 * this only when that statement found no worker, so the answer and its reason are the same.
 */
export async function authenticateWorker(db: Database, req: Request, res: Response): Promise<AuthenticatedWorker> {
  const token = await authenticateToken(db, req.get('token'));
  if (!token?.worker) throw notAuthenticated();
  setAuthenticatedWorker(res, token.worker);
  return token.worker;
}

/** The sha256 of the request's token key for workerTokenCtesSql, or null when it has none that could be valid. */
export function workerTokenHash(req: Request): string | null {
  return tokenKeyHash(req.get('token'));
}

/** Records the worker a hot statement authenticated, as requireWorker does. */
export function setAuthenticatedWorker(res: Response, worker: AuthenticatedWorker): void {
  res.locals.worker = worker;
  setRequestWorkerName(res, worker.name);
}

/** Lets a request through only with an enabled user token (Debusine's IsTokenUserAuthenticated). */
export function requireUser(db: Database): RequestHandler {
  return async (req, res, next) => {
    const token = await authenticateToken(db, req.get('token'));
    if (!token?.userName || token.worker) throw notAuthenticated();
    res.locals.user = token.userName;
    res.locals.admin = token.admin;
    next();
  };
}

/** After requireUser: only an admin's user token; any other user gets 403. */
export function requireAdmin(): RequestHandler {
  return (_req, res, next) => {
    if (res.locals.admin !== true) {
      throw new ProblemError(403, 'Permission denied', 'Only an admin token may do this: see `buildfleet token create --admin`');
    }
    next();
  };
}

/** The name of the worker a request came from, once known: for the host's access log. */
export function requestWorkerName(res: Response): string | undefined {
  return res.locals.workerName as string | undefined;
}

export function setRequestWorkerName(res: Response, name: string): void {
  res.locals.workerName = name;
}

export function authenticatedWorker(res: Response): AuthenticatedWorker {
  return res.locals.worker as AuthenticatedWorker;
}

/** The absolute api-url this request came through, e.g. `http://127.0.0.1:8765/api`. */
export function apiUrl(req: Request): string {
  return `${req.protocol}://${req.get('host')}${req.baseUrl}`;
}
