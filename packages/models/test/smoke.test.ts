import { listWorkerPools } from '../src';
import { useDatabase } from './helpers';

const ctx = useDatabase();

it('lists no pools in a fresh database', async () => {
  expect(await listWorkerPools(ctx.db)).toEqual([]);
});
