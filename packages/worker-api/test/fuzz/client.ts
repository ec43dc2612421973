import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { type Database } from '@buildfleet/models';
import { createUserToken } from '../../src';
import { addWorker, addWorkRequest, assign, recordingLogger, resetDatabase, startApi } from '../fixtures';

/** What the client fuzz tests run against: the API on a real server, tokens, and requests in every state. */
export interface ClientFixture {
  api: Awaited<ReturnType<typeof startApi>>;
  logger: ReturnType<typeof recordingLogger>;
  userKey: string;
  adminKey: string;
  workRequests: string[];
  artifactId: string;
}

const log = Buffer.from('stage: setup\nstage: execute\n');

/**
 * Seeds pending, running and completed requests, one with a debug-log artifact whose file is
 * uploaded through the API as a worker does, plus a user and an admin token.
 */
export async function seedClientFixture(db: Database): Promise<ClientFixture> {
  await resetDatabase(db);
  const logger = recordingLogger();
  const api = await startApi(db, { logger });
  const worker = await addWorker(db, { name: 'builder' });
  const workRequests = [await addWorkRequest(db), await addWorkRequest(db), await addWorkRequest(db)];
  await assign(db, workRequests[1]!, worker.id, 'running');
  await assign(db, workRequests[2]!, worker.id, 'running');
  const created = await fetch(`${api.apiUrl}/1.0/artifact/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', token: worker.key },
    body: JSON.stringify({
      category: 'debusine:work-request-debug-logs',
      work_request: Number(workRequests[2]),
      files: { 'stages.log': { size: log.length, checksums: { sha256: createHash('sha256').update(log).digest('hex') } } },
    }),
  });
  const artifactId = String(((await created.json()) as { id: number }).id);
  await fetch(`${api.apiUrl}/1.0/artifact/${artifactId}/files/stages.log/`, { method: 'PUT', headers: { token: worker.key }, body: log });
  await fetch(`${api.apiUrl}/1.0/work-request/${workRequests[2]}/completed/`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', token: worker.key },
    body: JSON.stringify({ result: 'success' }),
  });
  return {
    api,
    logger,
    userKey: await createUserToken(db, { user: 'alice' }),
    adminKey: await createUserToken(db, { user: 'root', admin: true }),
    workRequests,
    artifactId,
  };
}

/** Path segments for an id: real ones, unknown, out of range, not numbers, bad percent-encoding. */
export function idSegment(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known) },
    fc.constantFrom('0', '-1', '1.5', '999999999999999999', '9999999999999999999', '1e3', 'abc', '%ZZ', '%00', '%ED%A0%80', '__proto__', 'constructor', 'x'.repeat(3000)),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  );
}

/** Query strings: valid pairs, repeated keys, prototype keys, bad percent-encoding, huge numbers. */
export const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('limit', 'before', 'archive', 'page', '__proto__', 'constructor', 'limit[]', 'a[b]'), fc.string({ maxLength: 10 }).map(encodeURIComponent)),
      fc.oneof(
        fc.constantFrom('1', '2', '100', '1000', '1001', '0', '-1', '1e400', '99999999999999999999', 'tar.gz', '', '%ZZ', '%00', '%ED%A0%80', 'NaN'),
        fc.string({ maxLength: 20 }).map(encodeURIComponent),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

/** Tokens a client might send: the user's, the admin's, none, unknown, or malformed. */
export function tokenChoice(fixture: ClientFixture): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(fixture.userKey) },
    fc.constantFrom(fixture.adminKey, undefined, 'f'.repeat(64), 'x'.repeat(300), ' '),
  );
}
