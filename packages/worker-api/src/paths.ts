import { type RequestHandler } from 'express';
import { unstorable } from './body';
import { ProblemError } from './problem';

/**
 * `/api//1.0/x/` as `/api/1.0/x/`: a worker configured with `api-url = http://host/api/` (a
 * trailing slash, a common way to write it) joins its paths with a second slash.
 */
export function collapseSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** Rewrites the request's path (not its query) with repeated slashes collapsed, for the routes after it. */
export const collapseRequestSlashes: RequestHandler = (req, _res, next) => {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  if (path.includes('//')) req.url = collapseSlashes(path) + (queryAt === -1 ? '' : req.url.slice(queryAt));
  next();
};

/** An artifact file path from its percent-encoded URL segment; a 400 when it cannot name a stored file. */
export function decodeFilePath(encoded: string): string {
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    throw new ProblemError(400, 'Error', 'The file path is not valid percent-encoding');
  }
  const problem = unstorable(path);
  if (problem) throw new ProblemError(400, 'Error', `The file path contains ${problem}: no artifact file has one`);
  return path;
}
