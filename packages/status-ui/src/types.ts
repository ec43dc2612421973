import { type Database } from '@buildfleet/models';
import { type Request } from 'express';
import { type Query } from './listing';

/** Who looks at a page. Only the `authenticated` flag changes what is shown (see README). */
export interface Viewer {
  authenticated: boolean;
}

/**
 * A table a host adds to a page through an extension hook (`queueData`, `decisions`).
 * Cells are rendered as escaped text.
 */
export interface StatusSection {
  title: string;
  columns: { key: string; label: string }[];
  rows: Record<string, string | number | boolean | null>[];
  /** One line under the title, e.g. what the numbers mean. */
  note?: string;
}

/** Supplies extra sections for a page; returns only what this viewer may see. */
export type SectionsHook = (viewer: Viewer) => Promise<StatusSection[]>;

/**
 * Month-to-date usage as the provisioner accounts it against the pools' monthly budgets:
 * instance seconds per pool name since `monthStart`. The status UI shows it and never
 * computes it itself (pass `(now) => readMonthlyUsage(db, { now })` from @buildfleet/provisioner).
 */
export type MonthlyUsageHook = (now: Date) => Promise<{ monthStart: Date; pools: Record<string, number> }>;

/** One of the provisioner's decisions about a pool, as a pool page shows it. */
export interface PoolDecision {
  decidedAt: string;
  kind: string;
  reason: string;
  message: string;
}

/**
 * The provisioner's latest decisions about one pool, newest first (pass
 * `(pool) => listDecisions(db, { pool, limit: 10 })` from @buildfleet/provisioner).
 */
export type PoolDecisionsHook = (pool: string) => Promise<PoolDecision[]>;

export interface StatusUiOptions {
  /** The buildfleet database (`openDatabase()` from @buildfleet/models). */
  db: Database;
  /** Tells whether the request comes from an authenticated user. (Default: everyone is anonymous) */
  auth?: (req: Request) => boolean | Promise<boolean>;
  /** The path the host mounts the UI at, used for `<base href>` and redirects. (Default: '/') */
  basePath?: string;
  /** Serve Prometheus metrics at `metrics` below the mount point. (Default: false) */
  metrics?: boolean;
  /** Extension point: sections the scheduler adds to /queue/. (Default: none) */
  queueData?: SectionsHook;
  /** Extension point: the provisioner's recent decisions for /decisions/. (Default: page says none connected) */
  decisions?: SectionsHook;
  /** Extension point: month-to-date usage per pool, for pool pages and metrics. (Default: not shown) */
  monthlyUsage?: MonthlyUsageHook;
  /** Extension point: a pool's latest decisions, for its page. (Default: none shown) */
  poolDecisions?: PoolDecisionsHook;
  /** Told of errors that made a page fail with 500. (Default: the stack trace on stderr) */
  onError?: (error: unknown) => void;
  /** The clock, for relative times and monthly usage. (Default: the system clock) */
  now?: () => Date;
}

/** What a page handler gets: plain data, no framework objects. */
export interface PageRequest {
  params: Readonly<Record<string, string>>;
  query: Query;
  viewer: Viewer;
  now: Date;
}

export interface PageContext {
  db: Database;
  queueData?: SectionsHook;
  decisions?: SectionsHook;
  monthlyUsage?: MonthlyUsageHook;
  poolDecisions?: PoolDecisionsHook;
}

/**
 * What a page handler returns. `data` is the whole answer: the JSON variant sends it as is and
 * the view renders only from it, so both follow the same visibility rules.
 */
export interface Page<D = unknown> {
  view: string;
  title: string;
  /** Footer/nav section this page belongs to. */
  section: 'workers' | 'worker-pools' | 'queue' | 'decisions';
  /** This page's path relative to the mount point (`workers/`), for sort, filter and page links. */
  path: string;
  /** The query parameters this page understood, kept in its links. */
  query: Query;
  data: D;
}

export type PageHandler = (request: PageRequest, context: PageContext) => Promise<Page>;
