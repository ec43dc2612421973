import { ConflictError, type FieldIssue, NotFoundError, SchemaNotMigratedError, ValidationError } from '@buildfleet/models';
import { DatabaseUnreachableError } from '@buildfleet/pg-server';
import { Errors } from '@oclif/core';

/** Exit codes of every buildfleet command; 2 and 3 as debusine-admin uses them (see docs/domain.md, "Administration"). */
export const ExitCode = {
  /** A conflict with stored data, a schema that needs `db migrate`, an unreachable database, or a bug. */
  Failure: 1,
  /** Bad input (flags, arguments, YAML): nothing was written. */
  BadInput: 2,
  /** A named object does not exist. */
  NotFound: 3,
} as const;

/** What a command prints when it fails, and the `--json` form of it. */
export interface Failure {
  name: string;
  message: string;
  exitCode: number;
  /** Each offending field, for bad input. */
  issues?: FieldIssue[];
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof ValidationError) {
    return { name: error.name, message: error.message, exitCode: ExitCode.BadInput, issues: error.issues };
  }
  if (error instanceof NotFoundError) return failure(error, ExitCode.NotFound);
  if (
    error instanceof ConflictError ||
    error instanceof SchemaNotMigratedError ||
    error instanceof DatabaseUnreachableError
  ) {
    return failure(error, ExitCode.Failure);
  }
  if (error instanceof Errors.CLIError) return failure(error, error.oclif.exit ?? ExitCode.BadInput);
  if (error instanceof Error) return failure(error, ExitCode.Failure);
  return { name: 'Error', message: String(error), exitCode: ExitCode.Failure };
}

function failure(error: Error, exitCode: number): Failure {
  return { name: error.name, message: error.message, exitCode };
}
