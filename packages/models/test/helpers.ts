import { useTestDatabase } from '@buildfleet/testdb';
import { connectDatabase, type Database } from '../src';

/** A Database on this test file's own migrated clone, open for the whole file. */
export function useDatabase(): { readonly db: Database } {
  const testDb = useTestDatabase();
  let db: Database | undefined;
  beforeAll(() => {
    db = connectDatabase(testDb.url, 4);
  });
  afterAll(async () => {
    await db?.close();
  });
  return {
    get db() {
      if (!db) throw new Error('useDatabase: only inside tests and hooks');
      return db;
    },
  };
}
