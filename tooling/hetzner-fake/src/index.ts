/**
 * @buildfleet/hetzner-fake: the Hetzner Cloud API on 127.0.0.1, for tests.
 *
 * Start one per test file with `startHetznerFake({ token })`, point the client at `fake.url`
 * (which ends in `/v1`, like https://api.hetzner.cloud/v1), and inspect `fake.state` and
 * `fake.requests`. See README.md for what is faithful and what is simplified.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Call, type Reply, route } from './api';
import { ApiError } from './errors';
import { type FailRule, Faults } from './faults';
import { type Query } from './list';
import { type RateLimit, TokenBucket } from './rateLimit';
import { type Image, type Location, type ServerStatus, type ServerType } from './schema';
import {
  DEFAULT_IMAGES,
  DEFAULT_LOCATIONS,
  DEFAULT_NETWORKS,
  DEFAULT_SERVER_TYPES,
  DEFAULT_SSH_KEYS,
  type NetworkSeed,
  type SshKeySeed,
} from './seed';
import { FakeState } from './state';

export * from './schema';
export { ERROR_CODES, type ErrorCode } from './errors';
export { type FailRule } from './faults';
export { type RateLimit } from './rateLimit';
export { FakeState } from './state';
export {
  DEFAULT_IMAGES,
  DEFAULT_LOCATIONS,
  DEFAULT_NETWORKS,
  DEFAULT_SERVER_TYPES,
  DEFAULT_SSH_KEYS,
  type NetworkSeed,
  type SshKeySeed,
} from './seed';

export interface HetznerFakeOptions {
  /** The API token clients must send as `Authorization: Bearer <token>`. */
  token: string;
  /** Delay before every response, for benchmarks. (Default: 0) */
  latencyMs?: number;
  /** How long an action stays `running`; 0 means it reports `success` from the next request on. (Default: 0) */
  actionDurationMs?: number;
  /** How long a server stays `initializing` (after create) or `starting` (after poweron). (Default: 0) */
  serverBootMs?: number;
  /** Requests allowed per window, refilled gradually. (Default: Hetzner's 3600 per hour) */
  rateLimit?: RateLimit;
  /** Replaces parts of the default catalogue; each list given replaces the default list. (Default: DEFAULT_*) */
  seed?: {
    serverTypes?: ServerType[];
    locations?: Location[];
    images?: Image[];
    networks?: NetworkSeed[];
    sshKeys?: SshKeySeed[];
  };
  /** Milliseconds since the epoch; inject to drive actions and boots without sleeping. (Default: Date.now) */
  clock?: () => number;
}

/** One request as the fake received it. The Authorization header is never recorded. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. '/v1/servers/1001'. */
  path: string;
  /** Query parameters; a repeated parameter (`id=1&id=2`) is a list. */
  query: Record<string, string | string[]>;
  /** Parsed JSON body, the raw text if it was not JSON, or undefined if empty. */
  body: unknown;
  /** Status the fake answered with. */
  status: number;
}

export interface HetznerFake {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:40123/v1. */
  url: string;
  token: string;
  /** Live project state: servers, actions, images, networks, sshKeys, serverTypes, locations. */
  state: FakeState;
  /** Every request received, oldest first. Clear with `requests.length = 0`. */
  requests: RecordedRequest[];
  /** Makes the next matching request(s) fail with the given error. */
  failNext(rule: FailRule): void;
  /** Sets a server's status at once (e.g. 'off' when a build instance powers itself off). */
  setServerStatus(id: number, status: ServerStatus): void;
  close(): Promise<void>;
}

const UNAUTHORIZED = new ApiError(401, 'unauthorized', 'unable to authenticate');

function nonNegative(name: string, value: number | undefined): number {
  const n = value ?? 0;
  if (!Number.isFinite(n) || n < 0) throw new Error(`startHetznerFake: ${name} must be a number of at least 0, got ${value}`);
  return n;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function queryOf(params: URLSearchParams): Query {
  const query: Query = new Map();
  for (const [key, value] of params) query.set(key, [...(query.get(key) ?? []), value]);
  return query;
}

function recordedQuery(query: Query): Record<string, string | string[]> {
  return Object.fromEntries([...query].map(([k, v]) => [k, v.length === 1 ? (v[0] as string) : v]));
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export async function startHetznerFake(options: HetznerFakeOptions): Promise<HetznerFake> {
  if (typeof options.token !== 'string' || options.token === '') {
    throw new Error('startHetznerFake: token is required (the Bearer token clients must send)');
  }
  const latencyMs = nonNegative('latencyMs', options.latencyMs);
  const clock = options.clock ?? Date.now;
  const rateLimit = options.rateLimit ?? { limit: 3600, windowMs: 3_600_000 };
  if (!(rateLimit.limit >= 1) || !(rateLimit.windowMs > 0)) {
    throw new Error('startHetznerFake: rateLimit needs limit ≥ 1 and windowMs > 0');
  }
  const state = new FakeState(
    {
      serverTypes: options.seed?.serverTypes ?? DEFAULT_SERVER_TYPES,
      locations: options.seed?.locations ?? DEFAULT_LOCATIONS,
      images: options.seed?.images ?? DEFAULT_IMAGES,
      networks: options.seed?.networks ?? DEFAULT_NETWORKS,
      sshKeys: options.seed?.sshKeys ?? DEFAULT_SSH_KEYS,
    },
    {
      actionDurationMs: nonNegative('actionDurationMs', options.actionDurationMs),
      serverBootMs: nonNegative('serverBootMs', options.serverBootMs),
    },
    clock,
  );
  const bucket = new TokenBucket(rateLimit, clock);
  const faults = new Faults();
  const requests: RecordedRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const query = queryOf(url.searchParams);
    const text = await readBody(req);
    const parsed = parseJson(text);
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: recordedQuery(query),
      body: parsed.ok ? parsed.value : text,
      status: 0,
    };
    requests.push(entry);

    state.advance();
    const limit = bucket.take();
    let reply: Reply;
    try {
      if (!limit.allowed) throw ApiError.of('rate_limit_exceeded', 'limit of requests per hour reached');
      if (req.headers.authorization !== `Bearer ${options.token}`) throw UNAUTHORIZED;
      const injected = faults.take(method, url.pathname);
      if (injected) throw injected;
      if (!parsed.ok) throw ApiError.of('json_error', 'request body is not valid JSON');
      if (!url.pathname.startsWith('/v1/')) throw ApiError.of('not_found', `no such endpoint: ${url.pathname}`);
      const path = url.pathname.slice('/v1'.length);
      const { handler, params } = route(method, path);
      const call: Call = {
        method,
        path,
        params,
        query,
        body: parsed.value,
        pageUrl: (page, perPage) => {
          const next = new URL(`http://${req.headers.host ?? '127.0.0.1'}${url.pathname}${url.search}`);
          next.searchParams.set('page', String(page));
          next.searchParams.set('per_page', String(perPage));
          return next.toString();
        },
      };
      reply = handler(state, call);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      reply = { status: error.status, body: error.body(), headers: error.headers };
    }
    // Serialise now: state may move on while the latency delay runs.
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    entry.status = reply.status;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    res.writeHead(reply.status, {
      ...limit.headers,
      'X-Correlation-Id': randomUUID().replace(/-/g, ''),
      ...(payload === '' ? {} : { 'Content-Type': 'application/json' }),
      ...reply.headers,
    });
    res.end(payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const body = ApiError.of('server_error', `fake crashed: ${error instanceof Error ? error.message : String(error)}`).body();
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    token: options.token,
    state,
    requests,
    failNext: (rule) => faults.add(rule),
    setServerStatus: (id, status) => {
      const target = state.servers.find((s) => s.id === id);
      if (!target) throw new Error(`setServerStatus: no server with id ${id}`);
      state.setServerStatus(target, status);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
