/**
 * SQLSTATEs of a transaction PostgreSQL rolled back because of a concurrent one, after which
 * running it again is the fix: serialization_failure and deadlock_detected.
 */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/** Whether `error` (pg's, or Sequelize's wrapping it) is a serialization failure or a deadlock. */
export function isTransactionConflict(error: unknown): boolean {
  for (let cause = error as { code?: unknown; parent?: unknown } | undefined; cause; cause = cause.parent as typeof cause) {
    if (typeof cause.code === 'string' && CONFLICT_CODES.has(cause.code)) return true;
    if (typeof cause !== 'object') break;
  }
  return false;
}

/**
 * Runs `transaction` (a whole transaction, so running it again is safe) and, if PostgreSQL
 * rolled it back as a deadlock or serialization failure, runs it once more. A second
 * conflict is thrown: statements should take their locks in a stable order so none happens.
 */
export async function retryingConflictOnce<T>(transaction: () => Promise<T>): Promise<T> {
  try {
    return await transaction();
  } catch (error) {
    if (!isTransactionConflict(error)) throw error;
    return transaction();
  }
}
