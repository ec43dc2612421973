import { type Database, issuesOf } from '@buildfleet/models';
import express, { type Router } from 'express';
import { z } from 'zod';
import { apiUrl, authenticatedWorker, requireWorker } from '../auth';
import { jsonBody } from '../body';
import { decodeFilePath } from '../paths';
import { invalidInput, ProblemError } from '../problem';
import { artifactResponse } from '../serialize';
import { createArtifact, readArtifact, readFileProgress, writeFileChunk } from '../sql/artifacts';
import { readWorkRequest } from '../sql/workRequests';

/** Files are kept in the database, so they are bounded: debug logs are far smaller. */
export const MAX_ARTIFACT_FILE_SIZE = 64 * 2 ** 20;

const artifactBody = z.object({
  category: z.string().min(1).max(255),
  workspace: z.string().min(1).max(255).optional(),
  files: z
    .record(
      z.string().min(1).max(4096),
      z.object({
        size: z.number().int().min(0).max(MAX_ARTIFACT_FILE_SIZE, 'buildfleet keeps files of at most 64 MiB'),
        checksums: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'give the lower-case hex sha256') }),
        type: z.literal('file').default('file'),
      }),
    )
    .default({}),
  data: z.record(z.string(), z.unknown()).default({}),
  work_request: z.number().int().positive({ message: "give the id of the worker's work request these files belong to" }),
  expire_at: z.iso.datetime({ offset: true }).nullable().default(null),
});

// `Content-Range: bytes */<size>` (a probe) or `bytes <first>-<last>/<size>` (a chunk).
const CONTENT_RANGE = /^bytes (?:\*|(\d+)-(\d+))\/(\d+)$/;
const FILE_PATH = /^\/1\.0\/artifact\/([0-9]{1,18})\/files\/(.+?)\/?$/;

/**
 * The artifact calls a worker makes after every task: create the debug-logs artifact of its
 * work request, then upload each file with Debusine's resumable range protocol.
 */
export function artifactRoutes(db: Database): Router {
  const router = express.Router();
  const worker = requireWorker(db);

  router.post('/1.0/artifact/', worker, jsonBody('4mb'), async (req, res) => {
    const parsed = artifactBody.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Cannot deserialize artifact', issuesOf(parsed.error, artifactBody));
    const body = parsed.data;
    const workRequest = await readWorkRequest(db, String(body.work_request));
    if (!workRequest || workRequest.worker_id !== authenticatedWorker(res).id) {
      throw new ProblemError(403, 'Error', `Work request ${body.work_request} is not assigned to this worker`);
    }
    const artifact = await createArtifact(db, {
      workRequestId: workRequest.id,
      workspace: body.workspace ?? 'System',
      category: body.category,
      data: body.data,
      expireAt: body.expire_at === null ? null : new Date(body.expire_at),
      files: Object.entries(body.files).map(([path, file]) => ({ path, size: file.size, sha256: file.checksums.sha256 })),
    });
    res.status(201).json(artifactResponse(artifact, apiUrl(req)));
  });

  router.put(FILE_PATH, worker, express.raw({ limit: MAX_ARTIFACT_FILE_SIZE, type: () => true }), async (req, res) => {
    const [, artifactId, encodedPath] = FILE_PATH.exec(req.path)!;
    const path = decodeFilePath(encodedPath!);
    const artifact = await readArtifact(db, artifactId!);
    if (!artifact) throw new ProblemError(404, 'Artifact not found', `Artifact ${artifactId} does not exist`);
    if (artifact.worker_id !== authenticatedWorker(res).id) {
      throw new ProblemError(403, 'Error', `Artifact ${artifactId} belongs to another worker's work request`);
    }
    const file = await readFileProgress(db, artifactId!, path);
    if (!file) throw new ProblemError(404, 'File not found', `Artifact ${artifactId} has no file "${path}"`);
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const range = parseContentRange(req.get('content-range'), body.length, file.size);
    if (range === 'probe') {
      if (file.complete) res.status(200).end();
      else res.status(206).set('Range', `bytes=0-${file.received}`).end();
      return;
    }
    if (file.complete) {
      res.status(201).end();
      return;
    }
    const written = await writeFileChunk(db, artifactId!, path, range.start, body);
    if (written.outcome === 'complete') res.status(201).end();
    else if (written.outcome === 'hash-mismatch') throw new ProblemError(409, 'Invalid file hash', 'Upload the file again');
    else res.status(200).set('Range', `bytes=0-${written.received}`).end();
  });

  return router;
}

/** What a PUT carries: a probe, or bytes starting at `start`. Without Content-Range: the whole file. */
function parseContentRange(header: string | undefined, length: number, size: number): 'probe' | { start: number } {
  if (header === undefined) {
    if (length !== size) throw new ProblemError(400, 'Error', `Without Content-Range the body must be the whole file (${size} bytes)`);
    return { start: 0 };
  }
  const match = CONTENT_RANGE.exec(header.trim());
  if (!match || Number(match[3]) !== size) {
    throw new ProblemError(400, 'Error', `Invalid Content-Range "${header}": use "bytes */${size}" or "bytes <first>-<last>/${size}"`);
  }
  if (match[1] === undefined) return 'probe';
  const start = Number(match[1]);
  const last = Number(match[2]);
  if (last < start || last >= size || last - start + 1 !== length) {
    throw new ProblemError(400, 'Error', `Content-Range "${header}" does not match the ${length}-byte body`);
  }
  return { start };
}
