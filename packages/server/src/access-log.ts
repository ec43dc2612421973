import { type IncomingMessage, type Server } from 'node:http';
import { isWorkerSocketUrl, requestWorkerName } from '@buildfleet/worker-api';
import { type RequestHandler } from 'express';
import { type Logger } from 'pino';

/** Longer paths are cut here, so a client cannot fill the log with one request. */
const MAX_LOGGED_PATH = 300;

/**
 * One log line per HTTP request, when its answer is sent or the client goes away: method,
 * path, status, milliseconds, and the worker's name when the worker API knows it. Never a
 * header (tokens travel in one) and never the query string, which may carry secrets.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const path = loggedPath(req.originalUrl);
    res.once('close', () => {
      const worker = requestWorkerName(res);
      const fields = {
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(worker ? { worker } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (res.statusCode >= 500) logger.error(fields, 'request');
      else logger.info(fields, 'request');
    });
    next();
  };
}

/**
 * The access-log line of each WebSocket upgrade, which never reaches Express: 101 on the
 * worker endpoint (the worker API then checks the token), 404 anywhere else.
 */
export function logUpgrades(server: Server, logger: Logger): void {
  server.on('upgrade', (req: IncomingMessage) => {
    const status = isWorkerSocketUrl(req.url) ? 101 : 404;
    logger.info({ method: req.method, path: loggedPath(req.url ?? '/'), status, upgrade: 'websocket' }, 'request');
  });
}

/** The path of a request URL without its query, cut to MAX_LOGGED_PATH characters. */
function loggedPath(url: string): string {
  const path = url.split('?', 1)[0]!;
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}
