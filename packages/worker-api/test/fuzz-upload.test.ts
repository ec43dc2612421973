import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { FUZZ_RUNS, runFuzz } from './fuzz/bodies';
import { addWorker, addWorkRequest, assign, row, type TestWorker, useDatabase, useStartedApi } from './fixtures';

const database = useDatabase();
const started = useStartedApi(database);
let worker: TestWorker;
let artifactId: string;
let othersArtifactId: string;

const content = Buffer.from('stage: setup\nstage: execute\nstage: upload\n'.repeat(4));
const size = content.length;
const sha256 = createHash('sha256').update(content).digest('hex');

/** Creates an artifact holding `stages.log` (and a file whose path needs percent-encoding) through the API. */
async function createArtifact(key: string, workRequest: string): Promise<string> {
  const response = await fetch(`${started.api.apiUrl}/1.0/artifact/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', token: key },
    body: JSON.stringify({
      category: 'debusine:work-request-debug-logs',
      work_request: Number(workRequest),
      files: { 'stages.log': { size, checksums: { sha256 } }, 'dir/é x.log': { size, checksums: { sha256 } } },
    }),
  });
  expect(response.status).toBe(201);
  return String(((await response.json()) as { id: number }).id);
}

beforeAll(async () => {
  worker = await addWorker(database.db, { name: 'builder' });
  const other = await addWorker(database.db, { name: 'other' });
  const [mine, theirs] = [await addWorkRequest(database.db), await addWorkRequest(database.db)];
  await assign(database.db, mine, worker.id, 'running');
  await assign(database.db, theirs, other.id, 'running');
  artifactId = await createArtifact(worker.key, mine);
  othersArtifactId = await createArtifact(other.key, theirs);
});

/** A chunk of the real file with its matching Content-Range, as the worker uploads it. */
const chunk = fc
  .tuple(fc.nat(size - 1), fc.nat(size - 1))
  .map(([a, b]) => ({ kind: 'chunk', range: `bytes ${Math.min(a, b)}-${Math.max(a, b)}/${size}` as string | undefined, body: content.subarray(Math.min(a, b), Math.max(a, b) + 1) }));
const probe = fc.constant({ kind: 'probe', range: `bytes */${size}` as string | undefined, body: Buffer.alloc(0) });
const whole = fc.constant({ kind: 'whole file', range: undefined as string | undefined, body: content });
const garbage = fc
  .tuple(
    fc.option(
      fc.oneof(
        fc.string(),
        fc.constantFrom(`bytes */${size + 1}`, `bytes 0-0/${size}`, `bytes 5-1/${size}`, `bytes 0-${size}/${size}`, 'bytes 99999999999999999999-1/2', 'bytes */', 'bytes -1-2/3'),
      ),
      { nil: undefined },
    ),
    fc.uint8Array({ maxLength: size * 2 }),
  )
  .map(([range, body]) => ({ kind: 'random range and bytes', range, body: Buffer.from(body) }));

const path = fc.oneof(
  { weight: 8, arbitrary: fc.constant('stages.log') },
  fc.constant(encodeURIComponent('dir/é x.log')),
  fc.constantFrom('%ZZ', '%00', 'a%00b', '%ED%A0%80', '%C0%AF', 'stages.log/extra', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(5000), '%'),
  fc.string({ minLength: 1 }).map(encodeURIComponent),
);
const artifact = fc.oneof({ weight: 8, arbitrary: fc.constant('own') }, fc.constantFrom('other', '0', '99999999999999999999', 'abc', '-1'));

it(`answers ${FUZZ_RUNS} generated PUT /1.0/artifact/<id>/files/<path>/ uploads without a 5xx, every 4xx a problem`, async () => {
  const inputs = fc
    .tuple(fc.oneof({ weight: 3, arbitrary: chunk }, probe, whole, { weight: 3, arbitrary: garbage }), path, artifact, fc.nat(9))
    .map(([upload, filePath, id, restart]) => ({ ...upload, filePath, id, restart: restart === 0 }));

  const tally = await runFuzz('PUT /1.0/artifact/<id>/files/<path>/', inputs, async (input) => {
    if (input.restart) await database.db.sequelize.query(`update artifact_files set content = '', complete = false`);
    const id = input.id === 'own' ? artifactId : input.id === 'other' ? othersArtifactId : input.id;
    return fetch(`${started.api.apiUrl}/1.0/artifact/${id}/files/${input.filePath}/`, {
      method: 'PUT',
      headers: { token: worker.key, 'content-type': 'application/octet-stream', ...(input.range === undefined ? {} : { 'content-range': input.range }) },
      body: input.body,
    });
  });

  expect(tally).toMatchObject({ inputs: FUZZ_RUNS, serverErrors: 0 });
  for (const status of [200, 201, 206, 400, 403, 404]) expect(tally.byStatus[status]).toBeGreaterThan(0);
  // Whatever arrived, a complete file holds exactly the bytes whose hash was announced.
  const stored = await row<{ complete: boolean; content: Buffer }>(
    database.db,
    `select complete, content from artifact_files where artifact_id = $1 and path = 'stages.log'`,
    [artifactId],
  );
  if (stored.complete) expect(stored.content.equals(content)).toBe(true);
  expect(started.logger.lines.filter((line) => / failed/.test(line))).toEqual([]);
}, 120_000);
