import { ConflictError, type FieldIssue, NotFoundError, ValidationError } from '@buildfleet/models';
import { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { type Logger } from './interfaces';

/**
 * Debusine's clients read an error body only when the Content-Type is exactly this: Express's
 * `res.json()` and `res.type()` would append "; charset=utf-8", so it is set by hand.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An error answer with Debusine's problem body (RFC 7807: title, detail, validation_errors). */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly validationErrors?: Record<string, string[]>,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ProblemError';
  }
}

/** What Debusine answers (403) for a missing, unknown, expired or disabled token, or one of the wrong kind. */
export function notAuthenticated(): ProblemError {
  return new ProblemError(403, 'Error', 'Authentication credentials were not provided.');
}

/** A 400 problem listing each bad field the way Debusine's serializers do: `{field: [message]}`. */
export function invalidInput(title: string, issues: readonly FieldIssue[]): ProblemError {
  // A Map, not an object: a field may be called `constructor` or `__proto__`.
  const errors = new Map<string, string[]>();
  for (const { field, message } of issues) {
    const key = field || 'non_field_errors';
    errors.set(key, [...(errors.get(key) ?? []), message]);
  }
  const detail = issues.map((i) => `${i.field || '(top level)'}: ${i.message}`).join('; ');
  return new ProblemError(400, title, detail, Object.fromEntries(errors));
}

export function sendProblem(res: Response, problem: ProblemError): void {
  const body: Record<string, unknown> = { title: problem.title };
  if (problem.detail !== undefined) body.detail = problem.detail;
  if (problem.validationErrors !== undefined) body.validation_errors = problem.validationErrors;
  res.status(problem.status).set(problem.headers).set('Content-Type', PROBLEM_CONTENT_TYPE).end(JSON.stringify(body));
}

/** The router's own error handler: every failure becomes a problem answer, never a stack trace. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    sendProblem(res, toProblem(error, logger, `${req.method} ${req.baseUrl}${req.path}`));
  };
}

/** The last handler of the router: an unknown `/api` path (or method) is a problem answer too. */
export function notFound(): RequestHandler {
  return (req) => {
    throw new ProblemError(404, 'Not found', `No ${req.method} ${req.baseUrl}${req.path} in Debusine's worker API as buildfleet serves it`);
  };
}

function toProblem(error: unknown, logger: Logger, where: string): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof ValidationError) return invalidInput(`Invalid ${error.subject}`, error.issues);
  if (error instanceof NotFoundError) return new ProblemError(404, `${capitalize(error.kind)} not found`, error.message);
  if (error instanceof ConflictError) return new ProblemError(409, 'Conflict', error.message);
  // Body parsers and the router (a path parameter that is not valid percent-encoding) raise
  // errors carrying a 4xx status: they are the client's, whatever their type.
  const client = error as { type?: string; status?: unknown; message?: string };
  if (client.type === 'entity.too.large') return new ProblemError(413, 'Error', 'Request body too large');
  if (typeof client.status === 'number' && client.status >= 400 && client.status < 500) {
    return new ProblemError(client.status, 'Error', client.message);
  }
  logger.error(`worker-api: ${where} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new ProblemError(500, 'Server error', 'The server could not complete the request; see its log');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
