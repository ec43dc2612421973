import { DatabaseError, ForeignKeyConstraintError, UniqueConstraintError } from 'sequelize';
import { ConflictError } from '../errors';

/** The PostgreSQL constraint name behind a Sequelize error, if any. */
export function violatedConstraint(error: unknown): string | undefined {
  if (error instanceof UniqueConstraintError || error instanceof ForeignKeyConstraintError || error instanceof DatabaseError) {
    const original = (error as { original?: { constraint?: string } }).original ?? (error as { parent?: { constraint?: string } }).parent;
    return original?.constraint;
  }
  return undefined;
}

/**
 * Runs `fn`, turning a violation of one of the named constraints into a ConflictError with
 * the message given for it (or the database's own message when the entry is `true`).
 */
export async function explainConstraints<T>(
  fn: () => Promise<T>,
  messages: Record<string, string | true>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const constraint = violatedConstraint(error);
    const message = constraint ? messages[constraint] : undefined;
    if (message === true) throw new ConflictError((error as Error).message);
    if (message) throw new ConflictError(message);
    throw error;
  }
}
