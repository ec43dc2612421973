import { createHash } from 'node:crypto';
import { type Database } from '@buildfleet/models';
import request from 'supertest';
import { addWorker, addWorkRequest, assign, expectProblem, resetDatabase, row, type TestWorker, useApp, useDatabase } from './fixtures';

const database = useDatabase();
const server = useApp(database);
let db: Database;
let worker: TestWorker;
let workRequest: string;

const log = Buffer.from('stage: setup\nstage: execute\nstage: upload\n');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await resetDatabase(db);
  worker = await addWorker(db, { name: 'builder' });
  workRequest = await addWorkRequest(db);
  await assign(db, workRequest, worker.id, 'running');
});

const createArtifact = (body: object, key = worker.key) =>
  request(server.app)
    .post('/api/1.0/artifact/')
    .set('token', key)
    .send({ category: 'debusine:work-request-debug-logs', workspace: 'System', data: {}, expire_at: null, work_request: Number(workRequest), ...body });
const upload = (id: number, range: string | undefined, body?: Buffer, key = worker.key) => {
  const call = request(server.app).put(`/api/1.0/artifact/${id}/files/stages.log/`).set('token', key);
  if (range !== undefined) call.set('content-range', range);
  return body ? call.set('content-type', 'application/octet-stream').send(body) : call.send();
};
const withLog = { files: { 'stages.log': { size: log.length, checksums: { sha256: sha256(log) }, type: 'file' } } };

describe('POST /api/1.0/artifact/', () => {
  it('creates the debug-logs artifact with absolute URLs and the files still to upload', async () => {
    const response = await createArtifact(withLog);

    expect(response.status).toBe(201);
    const host = new URL(response.body.download_tar_gz_url).host;
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
    const base = `http://${host}/api/1.0/artifact/${response.body.id}`;
    expect(response.body).toEqual({
      id: expect.any(Number),
      workspace: 'System',
      category: 'debusine:work-request-debug-logs',
      data: {},
      created_at: expect.any(String),
      expire_at: null,
      download_tar_gz_url: `${base}/download/?archive=tar.gz`,
      files_to_upload: ['stages.log'],
      files: { 'stages.log': { size: log.length, type: 'file', checksums: { sha256: sha256(log) }, url: `${base}/files/stages.log` } },
    });
  });

  it('has nothing to upload for an artifact without files', async () => {
    expect((await createArtifact({ files: {} })).body.files_to_upload).toEqual([]);
  });

  it("answers 403 for another worker's work request", async () => {
    const other = await addWorker(db, { name: 'other' });

    expectProblem(await createArtifact(withLog, other.key), 403, 'Error');
  });

  it.each([
    ['no work request', { work_request: undefined }, 'work_request'],
    ['a bad checksum', { files: { a: { size: 1, checksums: { sha256: 'xyz' }, type: 'file' } } }, 'files.a.checksums.sha256'],
    ['a symlink', { files: { a: { size: 1, checksums: { sha256: 'a'.repeat(64) }, type: 'symlink' } } }, 'files.a.type'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const response = await createArtifact(body);

    expectProblem(response, 400, 'Cannot deserialize artifact');
    expect(Object.keys(response.body.validation_errors)).toEqual([field]);
  });
});

describe('PUT /api/1.0/artifact/<id>/files/<path>/', () => {
  let artifact: number;
  beforeEach(async () => {
    artifact = (await createArtifact(withLog)).body.id;
  });

  it('resumes from what it holds: a probe answers 206 with the next byte, then the last chunk completes the file', async () => {
    const probe = await upload(artifact, `bytes */${log.length}`);
    expect([probe.status, probe.headers.range]).toEqual([206, 'bytes=0-0']);

    const first = await upload(artifact, `bytes 0-9/${log.length}`, log.subarray(0, 10));
    expect([first.status, first.headers.range]).toEqual([200, 'bytes=0-10']);
    expect((await upload(artifact, `bytes */${log.length}`)).headers.range).toBe('bytes=0-10');

    const last = await upload(artifact, `bytes 10-${log.length - 1}/${log.length}`, log.subarray(10));
    expect(last.status).toBe(201);
    expect((await upload(artifact, `bytes */${log.length}`)).status).toBe(200);
    expect(await row(db, 'select complete, content from artifact_files')).toEqual({ complete: true, content: log });
  });

  it('answers 409 and starts over when the bytes do not match the checksum', async () => {
    const wrong = Buffer.alloc(log.length, 'x');

    expectProblem(await upload(artifact, `bytes 0-${log.length - 1}/${log.length}`, wrong), 409, 'Invalid file hash');
    expect((await upload(artifact, `bytes */${log.length}`)).headers.range).toBe('bytes=0-0');
  });

  it.each([
    ['a size other than the file\'s', `bytes */${log.length + 1}`, undefined],
    ['a range that does not match the body', `bytes 0-4/${log.length}`, Buffer.from('abc')],
    ['garbage', 'lines 1-2', Buffer.from('ab')],
  ])('answers 400 for a Content-Range with %s', async (_case, range, body) => {
    expectProblem(await upload(artifact, range, body), 400, 'Error');
  });

  it('answers 404 for an unknown artifact or file', async () => {
    expectProblem(await upload(artifact + 1, `bytes */${log.length}`), 404, 'Artifact not found');
    const response = await request(server.app).put(`/api/1.0/artifact/${artifact}/files/other.log/`).set('token', worker.key).send();
    expectProblem(response, 404, 'File not found');
  });

  it("answers 403 for another worker's artifact", async () => {
    const other = await addWorker(db, { name: 'other' });

    expectProblem(await upload(artifact, `bytes */${log.length}`, undefined, other.key), 403, 'Error');
  });
});
