import { type RequestHandler } from 'express';

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
