import { type Database } from '@buildfleet/models';
import { type Request, type RequestHandler, type Response } from 'express';
import { type AuthenticatedWorker } from './interfaces';
import { notAuthenticated, ProblemError } from './problem';
import { authenticateToken } from './sql/authenticate';

/** Lets a request through only with an enabled worker token (Debusine's IsWorkerAuthenticated). */
export function requireWorker(db: Database): RequestHandler {
  return async (req, res, next) => {
    const token = await authenticateToken(db, req.get('token'));
    if (!token?.worker) throw notAuthenticated();
    res.locals.worker = token.worker;
    setRequestWorkerName(res, token.worker.name);
    next();
  };
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
