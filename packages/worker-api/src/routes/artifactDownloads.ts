import { type Database } from '@buildfleet/models';
import express, { type Request, type Router } from 'express';
import { apiUrl, requireUser } from '../auth';
import { decodeFilePath } from '../paths';
import { ProblemError } from '../problem';
import { artifactResponse } from '../serialize';
import { readArtifact, readFileContents, type DbArtifact } from '../sql/artifacts';
import { tarGz } from '../tarball';

const FILE_PATH = /^\/1\.0\/artifact\/([0-9]{1,18})\/files\/(.+?)\/?$/;

/**
 * What `debusine show-artifact` and `download-artifact` call, with a user token: an artifact
 * (the debug logs a worker uploaded), one of its files, or all of them as a .tar.gz.
 */
export function artifactDownloadRoutes(db: Database): Router {
  const router = express.Router();
  const user = requireUser(db);

  router.get('/1.0/artifact/:id/', user, async (req, res) => {
    const artifact = await artifactOf(db, req);
    res.status(200).json(artifactResponse(artifact, apiUrl(req)));
  });

  router.get(FILE_PATH, user, async (req, res) => {
    const [, artifactId, encodedPath] = FILE_PATH.exec(req.path)!;
    const path = decodeFilePath(encodedPath!);
    const [file] = await readFileContents(db, artifactId!, [path]);
    if (!file) throw new ProblemError(404, 'File not found', `Artifact ${artifactId} has no complete file "${path}"`);
    res.status(200).type('application/octet-stream').set('Content-Length', String(file.content.length)).end(file.content);
  });

  router.get('/1.0/artifact/:id/download/', user, async (req, res) => {
    if (req.query.archive !== 'tar.gz') {
      throw new ProblemError(400, 'Error', 'buildfleet serves artifacts as ?archive=tar.gz only');
    }
    const artifact = await artifactOf(db, req);
    const files = await readFileContents(db, artifact.id);
    const body = tarGz(files.map((f) => ({ ...f, mtime: new Date(artifact.created_at) })));
    res
      .status(200)
      .type('application/gzip')
      .set('Content-Disposition', `attachment; filename="artifact-${artifact.id}.tar.gz"`)
      .end(body);
  });

  return router;
}

async function artifactOf(db: Database, req: Request): Promise<DbArtifact> {
  const id = String(req.params.id);
  const artifact = /^[0-9]{1,18}$/.test(id) ? await readArtifact(db, id) : null;
  if (!artifact) throw new ProblemError(404, 'Artifact not found', `Artifact ${id} does not exist`);
  return artifact;
}
