import { type Database, unappliedMigrations } from '@buildfleet/models';
import express, { type Router } from 'express';
import { type Logger } from 'pino';

/** How long the database may take to answer a readiness probe. */
const DATABASE_TIMEOUT_MS = 2000;

/** What keeps a replica from taking traffic; the only detail a probe answer carries. */
export type NotReadyReason = 'database' | 'migrations' | 'listener' | 'shutting-down';

export interface HealthOptions {
  db: Database;
  /** Whether the notification listener is connected. */
  listening: () => boolean;
  /** Whether the process started shutting down. */
  closing: () => boolean;
  logger: Logger;
}

/**
 * `GET /healthz`: the process runs and serves HTTP. `GET /readyz`: it can take work: the
 * database answers, every migration this code knows is applied, the notification listener is
 * connected, and it is not shutting down. Both unauthenticated; answers name failing checks
 * only, never an error message, a version or an address. A change of readiness is logged.
 */
export function healthRoutes(options: HealthOptions): Router {
  const router = express.Router();
  let wasReady: boolean | undefined;
  router.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const failing = await notReady(options);
    const ready = failing.length === 0;
    if (ready !== wasReady) {
      if (ready) options.logger.info('ready');
      else options.logger.warn({ failing }, 'not ready');
      wasReady = ready;
    }
    res
      .status(ready ? 200 : 503)
      .set('cache-control', 'no-store')
      .json(ready ? { status: 'ready' } : { status: 'not ready', failing });
  });
  return router;
}

async function notReady({ db, listening, closing }: HealthOptions): Promise<NotReadyReason[]> {
  const failing: NotReadyReason[] = [];
  if (closing()) failing.push('shutting-down');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DATABASE_TIMEOUT_MS)));
  const check = unappliedMigrations(db).catch(() => 'unreachable' as const);
  const pending = await Promise.race([check, timeout]).finally(() => clearTimeout(timer));
  if (pending === 'timeout' || pending === 'unreachable') failing.push('database');
  else if (pending.length) failing.push('migrations');
  if (!listening()) failing.push('listener');
  return failing;
}
