import { type Server } from 'node:http';
import { type Database } from '@buildfleet/models';
import { type DispatchPasses, type WorkRequestRow } from '@buildfleet/scheduler';
import { type Router } from 'express';
import { type SelfRegistrationOptions } from './registration';

/**
 * Terms:
 * - worker token: the key a registered debusine-worker sends in its `token` header; stored
 *   only as its sha256 in `tokens.hash`. Enabled tokens of a `workers.token_id` authenticate.
 * - activation token: a single-use, expiring key given to a worker before it registers
 *   (`workers.activation_token_id`); `register/` exchanges it for the worker's own token.
 * - user token: a token with a `user_name`, used by `debusine create-work-request`.
 * - session: one open WebSocket of a worker, with a lease (`worker_sessions`) this process renews
 *   while it lasts; the worker is connected while any process holds a live lease on one.
 * - problem: an error answer with an `application/problem+json` body, as Debusine sends.
 */

/** Where the API reports what happens. Messages never contain token keys. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WorkerApiOptions {
  db: Database;
  /** (Default: lines on stderr) */
  logger?: Logger;
  /** How often a connected worker is asked for its dynamic metadata. (Default: 3600000, Debusine's hour) */
  metadataIntervalMs?: number;
  /** How often the server pings each WebSocket and drops the ones that did not answer. (Default: 60000) */
  heartbeatIntervalMs?: number;
  /**
   * Registration without an activation token (a static worker an admin must enable): its
   * limits, or false to refuse it. (Default: DEFAULT_SELF_REGISTRATION)
   */
  selfRegistration?: SelfRegistrationOptions | false;
  /** The id this process's session leases carry. (Default: a random UUID) */
  processId?: string;
  /** How long a session stays connected without a renewal of its lease. (Default: DEFAULT_SESSION_LEASE_MS, 30 s) */
  sessionLeaseMs?: number;
  /** WebSocket sessions this process holds at most; further upgrades get 503 and Retry-After. (Default: DEFAULT_MAX_SESSIONS, 5000) */
  maxSessions?: number;
  /**
   * Requests of debusine-worker (registration, dynamic metadata, get-next) handled at once; more
   * wait their turn in arrival order, unrefused. Completions are not held back: each frees a
   * worker for its next request. (Default: DEFAULT_MAX_WORKER_REQUESTS, 8)
   */
  maxWorkerRequests?: number;
  /**
   * This process's full dispatch passes, shared with its other callers (the server's interval)
   * so one runs at a time. (Default: the API's own)
   */
  dispatchPasses?: DispatchPasses;
  /**
   * Dispatch whenever any process queues work (the scheduler's WORK_REQUESTED_CHANNEL), as
   * `buildfleet serve` does: the few requests a notification names are placed by claims
   * (`placeWorkRequests`), a bulk change by a full pass. Without it, only the work this API
   * queues is placed. (Default: false)
   */
  dispatchOnWorkRequested?: boolean;
}

export interface WorkerApi {
  /** The id this process's session leases carry. */
  processId: string;
  /** Whether the notification connection is up: without it, work assigned elsewhere is not announced. */
  isListening(): boolean;
  /** Mount under `/api`: the paths are Debusine's, relative to its `api-url`. */
  router: Router;
  /** Serves the WebSocket upgrade on `/api/ws/1.0/worker/connect/` of this server. */
  attach(server: Server): void;
  /** Resolves once the scheduling that earlier requests started in the background has finished. */
  settled(): Promise<void>;
  /** Closes every session (ending its lease) and stops listening for notifications. */
  close(): Promise<void>;
}

/** A work request row as the worker API reads it. */
export type DbWorkRequest = WorkRequestRow;

/** The worker a request authenticated as. */
export interface AuthenticatedWorker {
  id: string;
  name: string;
  workerPoolId: string | null;
}
