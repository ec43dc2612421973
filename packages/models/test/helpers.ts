import { useConnectedDatabase } from '@buildfleet/testdb';
import { connectDatabase, type Database } from '../src';

/** A Database on this test file's own migrated clone, open for the whole file. */
export function useDatabase(): { readonly db: Database } {
  return useConnectedDatabase((url) => connectDatabase(url, 4));
}
