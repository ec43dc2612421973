import { randomUUID } from 'node:crypto';
import { DEFAULT_SESSION_LEASE_MS } from '@buildfleet/models';
import { DispatchPasses, WORK_ASSIGNED_CHANNEL, WORK_REQUESTED_CHANNEL } from '@buildfleet/scheduler';
import express from 'express';
import { Background } from './background';
import { DEFAULT_MAX_WORKER_REQUESTS, RequestGate } from './gate';
import { type Logger, type WorkerApi, type WorkerApiOptions } from './interfaces';
import { NotificationListener } from './listener';
import { collapseRequestSlashes } from './paths';
import { notFound, problemHandler } from './problem';
import { DEFAULT_SELF_REGISTRATION } from './registration';
import { artifactRoutes } from './routes/artifacts';
import { artifactDownloadRoutes } from './routes/artifactDownloads';
import { clientWorkRequestRoutes } from './routes/clientWorkRequests';
import { workerRoutes } from './routes/workers';
import { workRequestRoutes } from './routes/workRequests';
import { DEFAULT_MAX_SESSIONS, Sessions } from './sessions';
import { TOKEN_DISABLED_CHANNEL } from './sql/admin';
export { activateStaticWorker, deleteWorker, type WorkerDeletion } from './sql/workerLifecycle';

export type { AuthenticatedWorker, DbWorkRequest, Logger, WorkerApi, WorkerApiOptions } from './interfaces';
export { PROBLEM_CONTENT_TYPE } from './problem';
export { requestWorkerName } from './auth';
export { MAX_JSON_DEPTH } from './body';
export { DEFAULT_MAX_WORKER_REQUESTS } from './gate';
export { DEFAULT_SELF_REGISTRATION, type SelfRegistrationOptions } from './registration';
export { DEFAULT_MAX_SESSIONS, isWorkerSocketUrl, MAX_SESSION_MESSAGE_BYTES, WEBSOCKET_PATH } from './sessions';
export { WORKSPACE } from './serialize';
export { DEFAULT_SCOPE } from './routes/workRequests';
export { MAX_ARTIFACT_FILE_SIZE } from './routes/artifacts';
export { workerNameFromFqdn } from './sql/register';
export { completeWorkRequest, type CompletionOutcome } from './sql/workRequests';
export {
  createActivationToken,
  createStaticWorker,
  createUserToken,
  DEFAULT_ACTIVATION_TOKEN_LIFETIME_MS,
  notifyTokenDisabled,
  setWorkerEnabled,
  TOKEN_DISABLED_CHANNEL,
} from './sql/admin';

const stderrLogger: Logger = {
  info: (message) => process.stderr.write(`${message}\n`),
  warn: (message) => process.stderr.write(`${message}\n`),
  error: (message) => process.stderr.write(`${message}\n`),
};

/**
 * Debusine's worker API for real debusine-worker processes: mount `router` under `/api` and
 * `attach` the HTTP server for the WebSocket. Sessions hear about assigned work and disabled
 * tokens through PostgreSQL notifications, so other processes can trigger both.
 */
export function workerApi(options: WorkerApiOptions): WorkerApi {
  const { db } = options;
  const logger = options.logger ?? stderrLogger;
  const background = new Background(
    logger,
    db,
    options.dispatchPasses ?? new DispatchPasses(db),
    () => options.dispatchOnWorkRequested === true && listener.listening,
  );
  const processId = options.processId ?? randomUUID();
  const sessions = new Sessions(db, logger, {
    metadataIntervalMs: options.metadataIntervalMs ?? 3_600_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 60_000,
    processId,
    leaseMs: options.sessionLeaseMs ?? DEFAULT_SESSION_LEASE_MS,
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
  });
  const listener = new NotificationListener(
    db.url,
    {
      [WORK_ASSIGNED_CHANNEL]: (workerId) => sessions.announceWork(workerId),
      [TOKEN_DISABLED_CHANNEL]: (workerId) => sessions.closeDisabled(workerId),
      // Work queued by any process (this one, the CLI, another replica) is dispatched at once.
      ...(options.dispatchOnWorkRequested ? { [WORK_REQUESTED_CHANNEL]: (payload) => background.workRequested(payload) } : {}),
    },
    logger,
    () => {
      background.run('announcing work after (re)listening', () => sessions.announceAllAssignedWork());
      if (options.dispatchOnWorkRequested) background.dispatchAll('(re)listening, as work requested meanwhile went unheard');
    },
  );
  void listener.start();

  const router = express.Router();
  router.use(collapseRequestSlashes);
  const selfRegistration = options.selfRegistration !== false && { ...DEFAULT_SELF_REGISTRATION, ...options.selfRegistration };
  router.use(
    workerRoutes(db, background, logger, selfRegistration, new RequestGate(options.maxWorkerRequests ?? DEFAULT_MAX_WORKER_REQUESTS).handler),
    artifactRoutes(db),
    workRequestRoutes(db, background),
    clientWorkRequestRoutes(db, background),
    artifactDownloadRoutes(db),
  );
  router.use(notFound(), problemHandler(logger));

  return {
    processId,
    isListening: () => listener.listening,
    router,
    attach: (server) => sessions.attach(server),
    settled: () => background.settle(),
    close: async () => {
      await sessions.close();
      await background.settle();
      await listener.close();
    },
  };
}
export { authenticateUser } from './sql/authenticate';
