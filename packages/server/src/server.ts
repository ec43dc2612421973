import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Database, openDatabase, releaseSessionLeases } from '@buildfleet/models';
import { listDecisions, listPoolHealth, readMonthlyUsage, tick, type TickEvent, type TickOptions } from '@buildfleet/provisioner';
import { abortLostWork, DEFAULT_LOST_WORK_SECONDS, DispatchPasses, getUnmetDemand, listLostWork } from '@buildfleet/scheduler';
import { statusUi } from '@buildfleet/status-ui';
import { type SelfRegistrationOptions, workerApi } from '@buildfleet/worker-api';
import express from 'express';
import pino, { type Logger } from 'pino';
import { accessLog, logUpgrades } from './access-log';
import { RequestDrain } from './drain';
import { healthRoutes } from './health';
import { Loop } from './loop';
import { decisionSections, lostWorkSection, unmetDemandSection } from './sections';
import { signIn, type SignInOptions } from './sign-in';

export const STATUS_PATH = '/-/status';

export interface ServeOptions {
  /** (Default: 127.0.0.1) */
  host?: string;
  /** (Default: 8080; 0 picks a free port) */
  port?: number;
  /** (Default: DATABASE_URL, else the embedded PostgreSQL) */
  databaseUrl?: string;
  /** The API URL workers are given, when they reach this server by another name. (Default: http://host:port/api) */
  apiUrl?: string;
  /** How often a dispatch pass runs. (Default: 2000) */
  scheduleIntervalMs?: number;
  /** How long a shutdown waits for the HTTP requests in flight before closing them. (Default: 10000) */
  shutdownGraceMs?: number;
  /** How often a provisioning tick runs. (Default: 30000) */
  provisionIntervalMs?: number;
  /**
   * Options of each provisioning tick (`@buildfleet/provisioner`), or false to run none, e.g.
   * while another process provisions. (Default: a tick with the server's API URL)
   */
  provision?: false | Omit<TickOptions, 'bootstrap' | 'onEvent'>;
  /**
   * Registration of static workers without an activation token: its limits, or false to refuse
   * it. (Default: `DEFAULT_SELF_REGISTRATION` of `@buildfleet/worker-api`)
   */
  selfRegistration?: SelfRegistrationOptions | false;
  /** Sign-in for the status UI (admins see worker metadata), `private`, a trusted SSO proxy's header. (Default: nobody signs in) */
  signIn?: SignInOptions;
  /** Work running on a worker disconnected this long (or disabled) is aborted and retried. (Default: 600) */
  lostWorkSeconds?: number;
  /** How long a worker session stays connected without a renewal; a dead process's sessions lapse within it. (Default: 30000) */
  sessionLeaseMs?: number;
  /** Worker WebSocket sessions this process holds at most; more get 503. (Default: `DEFAULT_MAX_SESSIONS` of `@buildfleet/worker-api`, 5000) */
  maxSessions?: number;
  /** debusine-worker's registrations, metadata and get-next calls handled at once, the rest waiting their turn. (Default: DEFAULT_MAX_WORKER_REQUESTS of @buildfleet/worker-api) */
  maxWorkerRequests?: number;
  /** (Default: pino to stdout at level info) */
  logger?: Logger;
  /** Called once the process listens, e.g. to start the demo; what it returns runs first on close. */
  onListening?: (context: { db: Database; url: string; apiUrl: string; logger: Logger }) => Promise<void | (() => void)>;
}

export interface RunningServer {
  /** The base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  apiUrl: string;
  db: Database;
  logger: Logger;
  /**
   * Stops listening and finishes the ticks and HTTP requests in flight (those at most
   * `shutdownGraceMs`), then closes the WebSocket sessions, and the database last.
   */
  close(): Promise<void>;
}

/**
 * buildfleet's main job in one process: the status UI under `/-/status`, Debusine's worker
 * API under `/api`, a dispatch pass every few seconds and a provisioning tick on its interval.
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: 'buildfleet' });
  const db = await openDatabase({ databaseUrl: options.databaseUrl, migrate: true });
  // One full pass at a time in this process, whether the interval or a bulk change asked.
  const passes = new DispatchPasses(db);
  // Other replicas' sessions are left alone: this process only ever touches its own leases.
  const api = workerApi({
    db,
    dispatchPasses: passes,
    dispatchOnWorkRequested: true,
    logger: apiLogger(logger),
    selfRegistration: options.selfRegistration,
    ...(options.sessionLeaseMs !== undefined ? { sessionLeaseMs: options.sessionLeaseMs } : {}),
    ...(options.maxSessions !== undefined ? { maxSessions: options.maxSessions } : {}),
    ...(options.maxWorkerRequests !== undefined ? { maxWorkerRequests: options.maxWorkerRequests } : {}),
  });
  let closing: Promise<void> | undefined;
  const app = express();
  app.disable('x-powered-by');
  // Before the access log: load balancers probe every few seconds.
  app.use(healthRoutes({ db, listening: api.isListening, closing: () => closing !== undefined, logger }));
  const httpLogger = logger.child({ component: 'http' });
  app.use(accessLog(httpLogger));
  app.get('/', (_req, res) => res.redirect(`${STATUS_PATH}/workers/`));
  app.use('/api', api.router);
  const accounts = signIn(db, STATUS_PATH, options.signIn);
  app.use(accounts.router);
  app.use(
    STATUS_PATH,
    statusUi({
      auth: async (req) => (await accounts.viewerOf(req))?.admin === true,
      db,
      basePath: STATUS_PATH,
      metrics: true,
      queueData: async () => [unmetDemandSection(await getUnmetDemand(db)), lostWorkSection(await listLostWork(db))],
      decisions: async () => decisionSections(await listPoolHealth(db), await listDecisions(db, { limit: 100 })),
      monthlyUsage: (now) => readMonthlyUsage(db, { now }),
      poolDecisions: (pool) => listDecisions(db, { pool, limit: 10 }),
      onError: (error) => logger.error({ err: error }, 'status page failed'),
    }),
  );
  const server = createServer(app);
  const requests = new RequestDrain(server);
  api.attach(server);
  logUpgrades(server, httpLogger);
  await listen(server, options.port ?? 8080, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  const apiUrl = options.apiUrl ?? `${url}/api`;

  const loops = [
    new Loop({
      name: 'schedule',
      intervalMs: options.scheduleIntervalMs ?? 2000,
      logger,
      run: async () => {
        const { assignments, unassigned } = await passes.request();
        if (assignments.length) {
          logger.info({ assigned: assignments.length, unassigned }, 'dispatch pass');
        }
      },
    }),
  ];
  const lostWorkSeconds = options.lostWorkSeconds ?? DEFAULT_LOST_WORK_SECONDS;
  loops.push(
    new Loop({
      name: 'lost-work',
      // Often enough that work is retried soon after the limit, at most every 30 s.
      intervalMs: Math.min(30_000, Math.max(1000, (lostWorkSeconds * 1000) / 4)),
      logger,
      run: async () => {
        const { aborted, retries } = await abortLostWork(db, { lostAfterSeconds: lostWorkSeconds });
        if (aborted.length) logger.warn({ aborted, retries }, 'work lost with its worker: aborted and retried');
      },
    }),
  );
  const provision = options.provision ?? {};
  if (provision) {
    const onEvent = logTickEvent(logger.child({ loop: 'provision' }));
    loops.push(
      new Loop({
        name: 'provision',
        intervalMs: options.provisionIntervalMs ?? 30_000,
        logger,
        run: async () => {
          await tick(db, { ...provision, bootstrap: { apiUrl }, onEvent });
        },
      }),
    );
  }
  for (const loop of loops) loop.start();
  logger.info({ url, status: `${url}${STATUS_PATH}/workers/`, api: apiUrl, process: api.processId }, 'buildfleet is serving');
  const beforeClose = await options.onListening?.({ db, url, apiUrl, logger });

  return {
    url,
    apiUrl,
    db,
    logger,
    close: () =>
      (closing ??= (async () => {
        beforeClose?.();
        const graceMs = options.shutdownGraceMs ?? 10_000;
        const [unanswered] = await Promise.all([requests.drain(graceMs), ...loops.map((loop) => loop.stop())]);
        if (unanswered) logger.warn({ unanswered, graceMs }, 'shutting down: requests still unanswered after the grace period were cut');
        await api.close();
        // Whatever a failure here leaves behind lapses within one lease.
        await releaseSessionLeases(db, api.processId).catch((error: unknown) => {
          logger.warn({ err: error }, 'releasing the session leases failed; they lapse on their own');
        });
        await db.close();
        logger.info('buildfleet stopped');
      })()),
  };
}

/** Stops `server` on SIGINT or SIGTERM, finishing the ticks in flight; a second signal exits at once. */
export function closeOnSignals(running: RunningServer): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) process.exit(130);
      received = true;
      running.logger.info({ signal }, 'shutting down: finishing the ticks and requests in flight');
      void running.close().then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Decisions and launches at info, the rest at debug; events never carry secrets. */
export function logTickEvent(logger: Logger): (event: TickEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'decision':
        if (event.decision.kind === 'hold') logger.debug(event.decision.message);
        else logger.info({ reason: event.decision.reason }, event.decision.message);
        break;
      case 'launch': {
        const { progress } = event;
        const fields = {
          pool: event.pool,
          worker: progress.workerName,
          ...('instanceId' in progress ? { instance: progress.instanceId } : {}),
          ...('error' in progress ? { error: `${progress.error.kind}: ${progress.error.message}` } : {}),
        };
        if (progress.type === 'requested') logger.debug(fields, 'launch requested');
        else if (progress.type === 'failed') logger.warn(fields, 'launch failed');
        else logger.info(fields, `launch ${progress.type}`);
        break;
      }
      case 'terminated':
        logger.info({ pool: event.pool, worker: event.worker }, 'terminated');
        break;
      case 'skipped':
        logger.debug(event.message);
        break;
    }
  };
}

function apiLogger(logger: Logger) {
  const child = logger.child({ component: 'worker-api' });
  return {
    info: (message: string) => child.info(message),
    warn: (message: string) => child.warn(message),
    error: (message: string) => child.error(message),
  };
}
