import { type FieldIssue, NotFoundError, ValidationError } from '@buildfleet/models';
import { type ErrorRequestHandler, type Response } from 'express';
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
  const errors: Record<string, string[]> = {};
  for (const { field, message } of issues) (errors[field || 'non_field_errors'] ??= []).push(message);
  return new ProblemError(400, title, issues.map((i) => `${i.field || '(top level)'}: ${i.message}`).join('; '), errors);
}

export function sendProblem(res: Response, problem: ProblemError): void {
  const body: Record<string, unknown> = { title: problem.title };
  if (problem.detail !== undefined) body.detail = problem.detail;
  if (problem.validationErrors !== undefined) body.validation_errors = problem.validationErrors;
  res.status(problem.status).set('Content-Type', PROBLEM_CONTENT_TYPE).end(JSON.stringify(body));
}

/** The router's own error handler: every failure becomes a problem answer, never a stack trace. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    sendProblem(res, toProblem(error, logger, `${req.method} ${req.baseUrl}${req.path}`));
  };
}

function toProblem(error: unknown, logger: Logger, where: string): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof ValidationError) return invalidInput(`Invalid ${error.subject}`, error.issues);
  if (error instanceof NotFoundError) return new ProblemError(404, `${capitalize(error.kind)} not found`, error.message);
  const parser = error as { type?: string; status?: number; message?: string };
  if (parser.type === 'entity.parse.failed') return new ProblemError(400, 'Error', `JSON parse error - ${parser.message}`);
  if (parser.type === 'entity.too.large') return new ProblemError(413, 'Error', 'Request body too large');
  if (typeof parser.type === 'string' && parser.status && parser.status < 500) {
    return new ProblemError(parser.status, 'Error', parser.message);
  }
  logger.error(`worker-api: ${where} failed: ${error instanceof Error ? error.message : String(error)}`);
  return new ProblemError(500, 'Server error', 'The server could not complete the request; see its log');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
