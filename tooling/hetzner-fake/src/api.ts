import { randomBytes } from 'node:crypto';
import { planServer } from './createServer';
import { ApiError, invalidInput, notFound } from './errors';
import { labelProblems } from './labels';
import { byLabelSelector, byValues, first, paginate, type Query, sorted } from './list';
import { type Image, type Labels, type Server } from './schema';
import { type FakeState, isoTime } from './state';

/** One API call, already authenticated, with the `/v1` prefix removed from `path`. */
export interface Call {
  method: string;
  path: string;
  params: string[];
  query: Query;
  body: unknown;
  /** Absolute URL of another page of this listing, for the `Link` header. */
  pageUrl: (page: number, perPage: number) => string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (state: FakeState, call: Call) => Reply;

function idParam(call: Call, index = 0): number {
  const raw = call.params[index] ?? '';
  if (!/^\d+$/.test(raw)) throw invalidInput([{ name: 'id', messages: [`'${raw}' is not an integer`] }]);
  return Number(raw);
}

function listReply<T>(key: string, items: T[], call: Call): Reply {
  const page = paginate(items, call.query, call.pageUrl);
  return {
    status: 200,
    body: { [key]: page.items, meta: { pagination: page.pagination } },
    headers: page.link ? { Link: page.link } : undefined,
  };
}

function byName<T extends { name: string | null }>(items: T[], query: Query): T[] {
  const name = first(query, 'name');
  return name === undefined ? items : items.filter((i) => i.name === name);
}

function findServer(state: FakeState, call: Call): Server {
  const id = idParam(call);
  const server = state.servers.find((s) => s.id === id);
  if (!server) throw notFound('server', id);
  return server;
}

function ensureUnlocked(server: Server): void {
  if (server.locked) throw ApiError.of('locked', `server ${server.id} is locked by a running action`);
}

function serverResource(server: Server): { id: number; type: 'server' } {
  return { id: server.id, type: 'server' };
}

function createServer(state: FakeState, call: Call): Reply {
  const plan = planServer(state, call.body);
  const id = state.nextServerId();
  const n = id - 999;
  const server: Server = {
    id,
    name: plan.name,
    status: 'initializing',
    created: isoTime(state.now()),
    public_net: {
      ipv4: plan.enableIpv4
        ? {
            id: state.nextPrimaryIpId(),
            ip: `198.18.${(n >> 8) & 255}.${n & 255}`,
            blocked: false,
            dns_ptr: `static.${n & 255}.${(n >> 8) & 255}.18.198.clients.your-server.de`,
          }
        : null,
      ipv6: plan.enableIpv6
        ? { id: state.nextPrimaryIpId(), ip: `2001:db8:${n.toString(16)}::/64`, blocked: false, dns_ptr: [] }
        : null,
      floating_ips: [],
      firewalls: [],
    },
    private_net: plan.networks.map((network) => {
      network.servers.push(id);
      const subnet = network.subnets[0]?.ip_range ?? network.ip_range;
      return {
        network: network.id,
        ip: subnet.replace(/\.\d+\/\d+$/, `.${network.servers.length + 1}`),
        alias_ips: [],
        mac_address: `86:00:00:${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
      };
    }),
    server_type: plan.serverType,
    location: plan.location,
    image: plan.image,
    iso: null,
    primary_disk_size: plan.serverType.disk,
    labels: plan.labels,
    protection: { delete: false, rebuild: false },
    backup_window: null,
    rescue_enabled: false,
    locked: false,
    placement_group: null,
    load_balancers: [],
    volumes: [],
    included_traffic: plan.serverType.included_traffic,
    ingoing_traffic: null,
    outgoing_traffic: null,
  };
  state.servers.push(server);
  const action = state.startAction('create_server', [serverResource(server)]);
  const nextActions = plan.startAfterCreate ? [state.startAction('start_server', [serverResource(server)])] : [];
  state.scheduleServerStatus(server, state.timing.serverBootMs, plan.startAfterCreate ? 'running' : 'off');
  return {
    status: 201,
    body: {
      server,
      action,
      next_actions: nextActions,
      root_password: plan.sshKeys.length > 0 ? null : randomBytes(15).toString('base64url'),
    },
  };
}

function deleteServer(state: FakeState, call: Call): Reply {
  const server = findServer(state, call);
  state.setServerStatus(server, 'deleting');
  const action = state.startAction('delete_server', [serverResource(server)], () => state.removeServer(server));
  return { status: 200, body: { action } };
}

function powerOn(state: FakeState, call: Call): Reply {
  const server = findServer(state, call);
  ensureUnlocked(server);
  if (server.status === 'off') {
    state.setServerStatus(server, 'starting');
    state.scheduleServerStatus(server, state.timing.serverBootMs, 'running');
  }
  return { status: 201, body: { action: state.startAction('start_server', [serverResource(server)]) } };
}

function stopper(command: 'stop_server' | 'shutdown_server'): Handler {
  return (state, call) => {
    const server = findServer(state, call);
    ensureUnlocked(server);
    if (server.status !== 'off') {
      state.setServerStatus(server, 'stopping');
      state.scheduleServerStatus(server, state.timing.actionDurationMs, 'off');
    }
    return { status: 201, body: { action: state.startAction(command, [serverResource(server)]) } };
  };
}

function createImage(state: FakeState, call: Call): Reply {
  const server = findServer(state, call);
  const input = (call.body ?? {}) as Record<string, unknown>;
  if (typeof input !== 'object' || Array.isArray(input)) throw ApiError.of('json_error', 'request body must be a JSON object');
  const problems = [];
  const type = input.type ?? 'snapshot';
  if (type !== 'snapshot' && type !== 'backup') problems.push({ name: 'type', messages: ["must be 'snapshot' or 'backup'"] });
  if (input.description !== undefined && input.description !== null && typeof input.description !== 'string') {
    problems.push({ name: 'description', messages: ['must be a string'] });
  }
  const labelIssues = labelProblems(input.labels ?? {});
  if (labelIssues.length > 0) problems.push({ name: 'labels', messages: labelIssues });
  if (problems.length > 0) throw invalidInput(problems);
  ensureUnlocked(server);

  const now = state.now();
  const image: Image = {
    id: state.nextImageId(),
    type: type as 'snapshot' | 'backup',
    status: 'creating',
    name: null,
    description: (input.description as string | undefined) ?? `${server.name}-${isoTime(now).replace(/\D/g, '').slice(0, 14)}`,
    image_size: null,
    disk_size: server.primary_disk_size,
    created: isoTime(now),
    created_from: { id: server.id, name: server.name },
    bound_to: type === 'backup' ? server.id : null,
    os_flavor: server.image?.os_flavor ?? 'unknown',
    os_version: server.image?.os_version ?? null,
    architecture: server.server_type.architecture,
    rapid_deploy: false,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: (input.labels as Labels | undefined) ?? {},
  };
  state.images.push(image);
  const action = state.startAction('create_image', [serverResource(server)], () => {
    image.status = 'available';
    image.image_size = Math.round(image.disk_size * 0.04 * 100) / 100;
  });
  return { status: 201, body: { image, action } };
}

function listServers(state: FakeState, call: Call): Reply {
  let servers = byName(state.servers, call.query);
  servers = byLabelSelector(servers, call.query);
  servers = byValues(servers, call.query, 'status', (s) => s.status);
  return listReply('servers', sorted(servers, call.query, ['id', 'name', 'created']), call);
}

function listImages(state: FakeState, call: Call): Reply {
  let images = state.images.filter((i) => first(call.query, 'include_deprecated') === 'true' || i.deprecated === null);
  images = byName(images, call.query);
  images = byLabelSelector(images, call.query);
  images = byValues(images, call.query, 'type', (i) => i.type);
  images = byValues(images, call.query, 'status', (i) => i.status);
  images = byValues(images, call.query, 'architecture', (i) => i.architecture);
  images = byValues(images, call.query, 'bound_to', (i) => i.bound_to);
  return listReply('images', sorted(images, call.query, ['id', 'name', 'created']), call);
}

function deleteImage(state: FakeState, call: Call): Reply {
  const id = idParam(call);
  const image = state.images.find((i) => i.id === id);
  if (!image) throw notFound('image', id);
  if (image.type !== 'snapshot' && image.type !== 'backup') {
    throw ApiError.of('unsupported_error', 'only images of type snapshot and backup can be deleted');
  }
  if (image.status === 'creating') throw ApiError.of('locked', `image ${id} is still being created`);
  state.images.splice(state.images.indexOf(image), 1);
  return { status: 204 };
}

function listActions(state: FakeState, call: Call): Reply {
  const ids = call.query.get('id') ?? [];
  if (ids.length === 0) {
    throw invalidInput([{ name: 'id', messages: ['is required: listing all actions was removed from the API on 2025-01-30'] }]);
  }
  let actions = byValues(state.actions, call.query, 'id', (a) => a.id);
  actions = byValues(actions, call.query, 'status', (a) => a.status);
  return listReply('actions', sorted(actions, call.query, ['id', 'command', 'status', 'started', 'finished', 'progress']), call);
}

function getOne<T extends { id: number }>(kind: string, key: string, items: (state: FakeState) => T[]): Handler {
  return (state, call) => {
    const id = idParam(call);
    const item = items(state).find((i) => i.id === id);
    if (!item) throw notFound(kind, id);
    return { status: 200, body: { [key]: item } };
  };
}

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
}

export const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/servers$/, handler: listServers },
  { method: 'POST', pattern: /^\/servers$/, handler: createServer },
  { method: 'GET', pattern: /^\/servers\/([^/]+)$/, handler: getOne('server', 'server', (s) => s.servers) },
  { method: 'DELETE', pattern: /^\/servers\/([^/]+)$/, handler: deleteServer },
  { method: 'POST', pattern: /^\/servers\/([^/]+)\/actions\/poweron$/, handler: powerOn },
  { method: 'POST', pattern: /^\/servers\/([^/]+)\/actions\/poweroff$/, handler: stopper('stop_server') },
  { method: 'POST', pattern: /^\/servers\/([^/]+)\/actions\/shutdown$/, handler: stopper('shutdown_server') },
  { method: 'POST', pattern: /^\/servers\/([^/]+)\/actions\/create_image$/, handler: createImage },
  { method: 'GET', pattern: /^\/actions$/, handler: listActions },
  { method: 'GET', pattern: /^\/actions\/([^/]+)$/, handler: getOne('action', 'action', (s) => s.actions) },
  { method: 'GET', pattern: /^\/images$/, handler: listImages },
  { method: 'GET', pattern: /^\/images\/([^/]+)$/, handler: getOne('image', 'image', (s) => s.images) },
  { method: 'DELETE', pattern: /^\/images\/([^/]+)$/, handler: deleteImage },
  {
    method: 'GET',
    pattern: /^\/networks$/,
    handler: (state, call) => listReply('networks', byLabelSelector(byName(state.networks, call.query), call.query), call),
  },
  { method: 'GET', pattern: /^\/networks\/([^/]+)$/, handler: getOne('network', 'network', (s) => s.networks) },
  {
    method: 'GET',
    pattern: /^\/server_types$/,
    handler: (state, call) => listReply('server_types', byName(state.serverTypes, call.query), call),
  },
  { method: 'GET', pattern: /^\/server_types\/([^/]+)$/, handler: getOne('server_type', 'server_type', (s) => s.serverTypes) },
  {
    method: 'GET',
    pattern: /^\/locations$/,
    handler: (state, call) => listReply('locations', sorted(byName(state.locations, call.query), call.query, ['id', 'name']), call),
  },
  { method: 'GET', pattern: /^\/locations\/([^/]+)$/, handler: getOne('location', 'location', (s) => s.locations) },
  {
    method: 'GET',
    pattern: /^\/ssh_keys$/,
    handler: (state, call) => {
      let keys = byLabelSelector(byName(state.sshKeys, call.query), call.query);
      keys = byValues(keys, call.query, 'fingerprint', (k) => k.fingerprint);
      return listReply('ssh_keys', keys, call);
    },
  },
  { method: 'GET', pattern: /^\/ssh_keys\/([^/]+)$/, handler: getOne('ssh_key', 'ssh_key', (s) => s.sshKeys) },
];

/** Finds the handler for a call, or the API's 404 / 405 answer. */
export function route(method: string, path: string): { handler: Handler; params: string[] } {
  const matching = ROUTES.filter((r) => r.pattern.test(path));
  if (matching.length === 0) throw ApiError.of('not_found', `no such endpoint: ${path}`);
  const match = matching.find((r) => r.method === method);
  if (!match) throw ApiError.of('method_not_allowed', `${method} is not allowed on ${path}`);
  return { handler: match.handler, params: (match.pattern.exec(path) ?? []).slice(1) };
}
