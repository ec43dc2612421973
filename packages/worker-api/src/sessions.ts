import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import { type Duplex } from 'node:stream';
import { type Database, endWorkerSession, openWorkerSession, renewSessionLeases } from '@buildfleet/models';
import { WebSocket, WebSocketServer } from 'ws';
import { type AuthenticatedWorker, type Logger } from './interfaces';
import { collapseSlashes } from './paths';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { authenticateToken } from './sql/authenticate';
import { hasAssignedWork, workersWithPendingWork } from './sql/connection';

export const WEBSOCKET_PATH = '/api/ws/1.0/worker/connect/';

/**
 * The WebSocket sessions one process holds at most (`maxSessions`). An idle session costs about
 * 45 KiB of the process's resident set, 7 KiB of it V8's heap (measured by the server's fleet
 * benchmark), so the default bounds them to about 220 MiB; beyond it an upgrade is answered 503
 * with Retry-After, and the worker retries (through a load balancer, on another replica).
 */
export const DEFAULT_MAX_SESSIONS = 5000;

/**
 * The largest message a worker may send on its session: debusine-worker sends none (only
 * pongs), so a larger one is refused (close code 1009) instead of buffered, as ws would up to
 * its 100 MiB default.
 */
export const MAX_SESSION_MESSAGE_BYTES = 64 * 1024;

/** The frames Debusine's consumer sends; the worker dispatches on `text`, else on `reason_code`. */
const FRAMES = {
  connected: { type: 'websocket.send', text: 'connected' },
  requestDynamicMetadata: { type: 'websocket.send', text: 'request_dynamic_metadata' },
  workRequestAvailable: { type: 'websocket.send', text: 'work_request_available' },
  rejected: {
    type: 'connection_rejected',
    reason: 'No token header, token not associated to a worker or not enabled',
    reason_code: 'TOKEN_DISABLED',
  },
  tokenDisabled: { type: 'connection_closed', reason: 'Token has been disabled', reason_code: 'TOKEN_DISABLED' },
} as const;

interface Session {
  socket: WebSocket;
  worker: AuthenticatedWorker;
  alive: boolean;
  timers: NodeJS.Timeout[];
  /** The `worker_sessions` row whose lease this process holds, once recorded. */
  id?: string;
  /** Settles when the session is recorded and the first frames are sent. */
  connecting?: Promise<void>;
}

export interface SessionsOptions {
  metadataIntervalMs: number;
  heartbeatIntervalMs: number;
  /** This process's id, which its session leases carry. */
  processId: string;
  leaseMs: number;
  /** Sessions held at most; further upgrades are refused with 503. */
  maxSessions: number;
}

/**
 * The WebSocket sessions of the workers connected to this process, each with a lease in
 * `worker_sessions` that this process renews every third of a lease. A session whose lease
 * was not renewed (it lapsed while the database was unreachable, or another process ended it)
 * is closed, so the worker reconnects with a fresh one.
 */
export class Sessions {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_SESSION_MESSAGE_BYTES });
  /** Upgraded sockets not yet closed, sessions or not: what maxSessions bounds. */
  private sockets = 0;
  private readonly byWorker = new Map<string, Set<Session>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly renewal: NodeJS.Timeout;
  private renewing = false;
  private closing = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: SessionsOptions,
  ) {
    this.renewal = setInterval(() => void this.renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
  }

  attach(http: Server): void {
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!isWorkerSocketUrl(request.url)) return refuseUpgrade(socket, 404, { title: 'Not found', detail: `WebSocket connections are served on ${WEBSOCKET_PATH} only` });
      if (this.sockets >= this.options.maxSessions) {
        return refuseUpgrade(
          socket,
          503,
          { title: 'Too many sessions', detail: `This server holds its maximum of ${this.options.maxSessions} worker sessions: retry later` },
          SESSIONS_FULL_RETRY_AFTER_S,
        );
      }
      this.sockets++;
      socket.once('close', () => this.sockets--);
      this.server.handleUpgrade(request, socket, head, (ws) => this.track(this.open(ws, request)));
    });
  }

  /** Asks the worker's sessions to fetch work (`work_request_available`). */
  announceWork(workerId: string): void {
    for (const session of this.byWorker.get(workerId) ?? []) send(session.socket, FRAMES.workRequestAvailable);
  }

  /** Announces work to every worker connected here that has pending work assigned. */
  async announceAllAssignedWork(): Promise<void> {
    for (const workerId of await workersWithPendingWork(this.db, [...this.byWorker.keys()])) this.announceWork(workerId);
  }

  /** Tells the worker's sessions that its token was disabled, and closes them. */
  closeDisabled(workerId: string): void {
    for (const session of this.byWorker.get(workerId) ?? []) {
      send(session.socket, FRAMES.tokenDisabled);
      session.socket.close();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.renewal);
    for (const session of [...this.byWorker.values()].flatMap((set) => [...set])) {
      session.socket.terminate();
      this.finish(session);
    }
    this.server.close();
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async open(socket: WebSocket, request: IncomingMessage): Promise<void> {
    // ws closes the socket after an error (a malformed or oversized frame: 1002, 1009); without
    // a listener the error would end the process.
    socket.on('error', (error) => this.logger.warn(`worker-api: closed a WebSocket session: ${error.message}`));
    const header = request.headers.token;
    const token = await authenticateToken(this.db, Array.isArray(header) ? header[0] : header);
    if (!token?.worker || this.closing) {
      // Debusine accepts the upgrade and then rejects: the worker logs the reason and retries.
      send(socket, FRAMES.rejected);
      socket.close();
      return;
    }
    const session: Session = { socket, worker: token.worker, alive: true, timers: [] };
    const sessions = this.byWorker.get(session.worker.id) ?? new Set();
    this.byWorker.set(session.worker.id, sessions.add(session));
    socket.on('pong', () => (session.alive = true));
    session.connecting = this.connect(session);
    if (socket.readyState === WebSocket.CLOSED) this.finish(session);
    else socket.on('close', () => this.finish(session));
    await session.connecting;
  }

  /** Ends the lease only after connecting finished, so the session cannot be recorded after it ended. */
  private finish(session: Session): void {
    this.track((session.connecting ?? Promise.resolve()).catch(() => {}).then(() => this.closed(session)));
  }

  private async connect(session: Session): Promise<void> {
    const { socket, worker } = session;
    const { processId, leaseMs } = this.options;
    session.id = await openWorkerSession(this.db, worker.id, { processId, leaseMs });
    this.logger.info(`worker-api: worker ${worker.name} connected`);
    send(socket, FRAMES.connected);
    send(socket, FRAMES.requestDynamicMetadata);
    session.timers.push(
      setInterval(() => send(socket, FRAMES.requestDynamicMetadata), this.options.metadataIntervalMs),
      setInterval(() => {
        if (!session.alive) return socket.terminate();
        session.alive = false;
        socket.ping();
      }, this.options.heartbeatIntervalMs),
    );
    if (await hasAssignedWork(this.db, worker.id)) send(socket, FRAMES.workRequestAvailable);
  }

  private async closed(session: Session): Promise<void> {
    session.timers.forEach(clearInterval);
    const sessions = this.byWorker.get(session.worker.id);
    if (!sessions?.delete(session)) return;
    if (!sessions.size) this.byWorker.delete(session.worker.id);
    if (session.id) await endWorkerSession(this.db, session.id);
    this.logger.info(`worker-api: worker ${session.worker.name} disconnected`);
  }

  /** Renews this process's leases and closes the sessions whose lease was not renewed. */
  private async renew(): Promise<void> {
    if (this.renewing || this.closing) return;
    this.renewing = true;
    try {
      // Only sessions recorded before the renewal started: a newer one may not be in its answer.
      const recorded = [...this.byWorker.values()].flatMap((set) => [...set]).filter((s) => s.id !== undefined);
      const renewed = new Set(await renewSessionLeases(this.db, this.options));
      for (const session of recorded) {
        if (renewed.has(session.id!) || session.socket.readyState !== WebSocket.OPEN) continue;
        this.logger.warn(`worker-api: the lease on worker ${session.worker.name}'s session ended; closing it so that it reconnects`);
        session.socket.terminate();
      }
    } catch (error) {
      this.logger.error(`worker-api: renewing the session leases failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.renewing = false;
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => {
        this.logger.error(`worker-api: WebSocket session failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

function send(socket: WebSocket, frame: object): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

/** Whether an upgrade's URL is the worker endpoint (repeated slashes taken as one); other paths are refused. */
export function isWorkerSocketUrl(url: string | undefined): boolean {
  try {
    return collapseSlashes(new URL(url ?? '/', 'http://localhost').pathname) === WEBSOCKET_PATH;
  } catch {
    return false;
  }
}

/** How long a worker refused for want of a session slot is asked to wait, in seconds. */
const SESSIONS_FULL_RETRY_AFTER_S = 10;

/**
 * Answers an upgrade that is not taken (another path: 404; no session slot left: 503) and
 * closes the socket at once: an upgrade nobody takes would otherwise hold its socket open forever.
 */
function refuseUpgrade(socket: Duplex, status: 404 | 503, problem: { title: string; detail: string }, retryAfterS?: number): void {
  const body = JSON.stringify(problem);
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${retryAfterS ? `Retry-After: ${retryAfterS}\r\n` : ''}Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
