import type pg from 'pg';
import { type SecretKeys } from '../secretKeys';

/** What a migration's data step may need besides the connection. */
export interface MigrationContext {
  /** The keys that seal provider credentials. */
  secrets: SecretKeys;
}

/** One schema change: SQL run in a single transaction each way. */
export interface Migration {
  /** `NNNN-what-it-does`; the numeric prefix orders migrations and never changes. */
  name: string;
  up: string;
  down: string;
  /**
   * For data SQL cannot change alone (encryption): `up` runs after the `up` SQL, `down` before
   * the `down` SQL, in the same transaction.
   */
  data?: {
    up(client: pg.Client, context: MigrationContext): Promise<void>;
    down(client: pg.Client, context: MigrationContext): Promise<void>;
  };
}
