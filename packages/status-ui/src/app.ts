import { join } from 'node:path';
import { formatDuration, NotFoundError, ValidationError } from '@buildfleet/models';
import ejs from 'ejs';
import express, { type NextFunction, type Request, type Response } from 'express';
import { joinSorted, relativeTime, toYaml } from './format';
import { linkTo, type Query } from './listing';
import { createMetricsRegistry } from './metrics';
import { poolPage, poolsPage } from './pages/pools';
import { poolCharts } from './pool-charts';
import { decisionsPage, queuePage } from './pages/queue';
import { workerPage, workersPage } from './pages/workers';
import { WORKER_STATUSES } from './queries/workers';
import { type Page, type PageContext, type PageHandler, type StatusUiOptions, type Viewer } from './types';

const PACKAGE_ROOT = join(__dirname, '..');
const VIEWS_DIR = join(PACKAGE_ROOT, 'views');
const PUBLIC_DIR = join(PACKAGE_ROOT, 'public');

/** The routes, as data: Express paths are relative to wherever the host mounts the sub-app. */
const ROUTES: { path: string; handler: PageHandler }[] = [
  { path: '/workers/', handler: workersPage },
  { path: '/workers/:name/', handler: workerPage },
  { path: '/worker-pools/', handler: poolsPage },
  { path: '/worker-pools/:name/', handler: poolPage },
  { path: '/queue/', handler: queuePage },
  { path: '/decisions/', handler: decisionsPage },
];

/** No script runs on these pages; styles come from the sub-app only. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'self'; form-action 'self'";

/** `/-/status` and `/-/status/` both become `/-/status/`; nothing becomes `/`. */
export function normalizeBasePath(basePath = '/'): string {
  if (!basePath.startsWith('/') || /[?#\s"'<>]/.test(basePath)) {
    throw new Error(`statusUi: basePath must be the path the UI is mounted at, such as '/-/status' (got ${JSON.stringify(basePath)})`);
  }
  return basePath.endsWith('/') ? basePath : `${basePath}/`;
}

/**
 * The status UI as its own Express app: its own views, EJS engine and static files, so the host's
 * settings are never touched. Mount it anywhere and pass the same path as `basePath`:
 * `app.use('/-/status', statusUi({ db, basePath: '/-/status' }))`.
 */
export function statusUi(options: StatusUiOptions): express.Express {
  const base = normalizeBasePath(options.basePath);
  const auth = options.auth ?? (() => false);
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`status-ui: ${String((error as Error)?.stack ?? error)}\n`));
  const context: PageContext = {
    db: options.db,
    queueData: options.queueData,
    decisions: options.decisions,
    monthlyUsage: options.monthlyUsage,
    poolDecisions: options.poolDecisions,
  };
  const shell = { base, hasDecisions: !!options.decisions };

  const app = express();
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  app.engine('ejs', ejs.renderFile);
  app.enable('view cache');

  app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: '1h' }));
  app.get('/', (_req, res) => res.redirect(`${base}workers/`));

  for (const route of ROUTES) {
    app.get(route.path, async (req, res, next) => {
      const at = now();
      let viewer: Viewer = { authenticated: false };
      try {
        viewer = { authenticated: (await auth(req)) === true };
        const page = await route.handler({ params: stringParams(req.params), query: stringQuery(req.query), viewer, now: at }, context);
        respond(req, res, 200, { ...shell, ...page, viewer, now: at });
      } catch (error) {
        if (error instanceof NotFoundError) {
          respond(req, res, 404, errorPage(shell, viewer, at, 'Not found', { error: 'not_found', message: error.message }));
        } else if (error instanceof ValidationError) {
          respond(req, res, 400, errorPage(shell, viewer, at, 'Bad request', { error: 'invalid_query', message: error.message, issues: error.issues }));
        } else next(error);
      }
    });
  }

  if (options.metrics) {
    const registry = createMetricsRegistry(options.db, now, options.monthlyUsage);
    app.get('/metrics', async (_req, res) => {
      const text = await registry.metrics();
      res.type(registry.contentType).send(text);
    });
  }

  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    // The router's own refusals (an address that is not valid percent-encoding) are the client's.
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500 && !res.headersSent) {
      const message = `The address is not valid: ${(error as Error).message}`;
      return respond(req, res, status, errorPage(shell, { authenticated: false }, now(), 'Bad request', { error: 'bad_request', message }));
    }
    onError(error);
    if (res.headersSent) return next(error);
    respond(req, res, 500, errorPage(shell, { authenticated: false }, now(), 'Server error', {
      error: 'internal',
      message: 'The status page could not be built; see the server log.',
    }));
  });
  return app;
}

type Rendered = Page & { base: string; hasDecisions: boolean; viewer: Viewer; now: Date };

function errorPage(
  shell: { base: string; hasDecisions: boolean },
  viewer: Viewer,
  now: Date,
  title: string,
  data: { error: string; message: string; issues?: unknown },
): Rendered {
  return { ...shell, view: 'error', title, section: 'workers', path: '', query: {}, data, viewer, now };
}

function wantsJson(req: Request): boolean {
  return req.query.format === 'json' || req.accepts(['html', 'json']) === 'json';
}

function respond(req: Request, res: Response, status: number, page: Rendered): void {
  res.status(status).vary('Accept');
  if (wantsJson(req)) {
    res.json(page.data);
    return;
  }
  res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.render(page.view, { ...page, ...viewHelpers(page) });
}

/** Formatting and link helpers for the templates; they return text, which EJS escapes. */
function viewHelpers(page: Rendered) {
  const link = (changes: Query = {}) => linkTo(page.path, page.query, changes);
  const currentOrder = page.query.order ?? 'name';
  return {
    ago: (iso: string) => relativeTime(iso, page.now),
    duration: formatDuration,
    yaml: toYaml,
    joinSorted,
    link,
    /** Sorting by a column resets to page 1; a second click reverses. */
    sortLink: (column: string) =>
      link({ order: currentOrder === column ? `${column}.desc` : column, page: undefined }),
    sortMark: (column: string) => (currentOrder === column ? '▲' : currentOrder === `${column}.desc` ? '▼' : ''),
    statuses: WORKER_STATUSES,
    /** SVG, escaped inside by svgChart: written with <%- %>. */
    poolCharts,
    workerUrl: (name: string) => `workers/${encodeURIComponent(name)}/`,
    poolUrl: (name: string) => `worker-pools/${encodeURIComponent(name)}/`,
  };
}

function stringParams(params: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Only single string values: a host's extended query parser may hand arrays or objects. */
function stringQuery(query: unknown): Query {
  return Object.fromEntries(
    Object.entries(query as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
