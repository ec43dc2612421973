import { ApiError, type FieldProblem, invalidInput } from './errors';
import { labelProblems } from './labels';
import { type Image, type Labels, type Location, type Network, type ServerType, type SshKey } from './schema';
import { type FakeState } from './state';

/** A validated `POST /v1/servers` body with every reference resolved. */
export interface ServerPlan {
  name: string;
  serverType: ServerType;
  image: Image;
  location: Location;
  labels: Labels;
  userData: string | undefined;
  sshKeys: SshKey[];
  networks: Network[];
  enableIpv4: boolean;
  enableIpv6: boolean;
  startAfterCreate: boolean;
}

const KNOWN_FIELDS = new Set([
  'name',
  'server_type',
  'image',
  'location',
  'labels',
  'user_data',
  'ssh_keys',
  'networks',
  'public_net',
  'start_after_create',
  'automount',
  'volumes',
  'firewalls',
  'placement_group',
]);
const USER_DATA_MAX_BYTES = 32 * 1024;
const HOSTNAME_LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

function isHostname(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

type IdOrName = { id: number } | { name: string };

/** A reference given as an id (number or numeric string) or a name, as hcloud-go's IDOrName. */
function idOrName(value: unknown): IdOrName | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return { id: value };
  if (typeof value === 'string' && /^\d+$/.test(value)) return { id: Number(value) };
  if (typeof value === 'string' && value !== '') return { name: value };
  return undefined;
}

function findRef<T extends { id: number; name: string | null }>(items: T[], ref: IdOrName): T | undefined {
  return items.find((item) => ('id' in ref ? item.id === ref.id : item.name === ref.name));
}

function describe(ref: IdOrName): string {
  return 'id' in ref ? String(ref.id) : ref.name;
}

/**
 * Validates a create-server body the way the API does, collecting every field problem into one
 * `invalid_input`. Conflicts that are not input errors (a taken name, a sold-out type) throw their
 * own codes after the input is known to be well-formed.
 */
export function planServer(state: FakeState, body: unknown): ServerPlan {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ApiError.of('json_error', 'request body must be a JSON object');
  }
  const input = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const problem = (name: string, message: string): void => {
    const existing = problems.find((p) => p.name === name);
    if (existing) existing.messages.push(message);
    else problems.push({ name, messages: [message] });
  };

  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) problem(key, 'unknown field');
  }

  const name = input.name;
  if (name === undefined) problem('name', 'is required');
  else if (typeof name !== 'string' || !isHostname(name)) {
    problem('name', 'must be a valid hostname as per RFC 1123 (letters, digits, dashes and dots)');
  }

  let serverType: ServerType | undefined;
  const typeRef = idOrName(input.server_type);
  if (input.server_type === undefined) problem('server_type', 'is required');
  else if (!typeRef) problem('server_type', 'must be a server type id or name');
  else {
    serverType = findRef(state.serverTypes, typeRef);
    if (!serverType) problem('server_type', `server type '${describe(typeRef)}' not found`);
  }

  let location: Location | undefined;
  if (input.location !== undefined) {
    const ref = idOrName(input.location);
    location = ref && findRef(state.locations, ref);
    if (!location) problem('location', `location '${String(input.location)}' not found`);
  } else if (serverType) {
    location = state.locations.find((l) => serverType?.locations.some((sl) => sl.id === l.id && sl.available));
  }
  if (serverType && location && !serverType.locations.some((sl) => sl.id === location?.id)) {
    problem('location', 'unsupported location for server type');
  }

  let image: Image | undefined;
  const imageRef = idOrName(input.image);
  if (input.image === undefined) problem('image', 'is required');
  else if (!imageRef) problem('image', 'must be an image id or name');
  else {
    const candidates = state.images.filter((i) => ('id' in imageRef ? i.id === imageRef.id : i.name === imageRef.name));
    image = candidates.find((i) => i.architecture === serverType?.architecture) ?? candidates[0];
    if (!image) problem('image', `image '${describe(imageRef)}' not found`);
    else if (image.status !== 'available') problem('image', `image ${image.id} is ${image.status}, not available`);
    else if (serverType && image.architecture !== serverType.architecture) {
      problem('image', `image architecture ${image.architecture} does not match server type architecture ${serverType.architecture}`);
    } else if (serverType && image.disk_size > serverType.disk) {
      problem('image', `image disk size ${image.disk_size} GB is larger than the server type's disk of ${serverType.disk} GB`);
    }
  }

  const labels = input.labels ?? {};
  for (const message of labelProblems(labels)) problem('labels', message);

  const userData = input.user_data;
  if (userData !== undefined && userData !== null) {
    if (typeof userData !== 'string') problem('user_data', 'must be a string');
    else if (Buffer.byteLength(userData) > USER_DATA_MAX_BYTES) problem('user_data', 'is limited to 32 KiB');
  }

  const sshKeys: SshKey[] = [];
  if (input.ssh_keys !== undefined) {
    if (!Array.isArray(input.ssh_keys)) problem('ssh_keys', 'must be a list of SSH key ids or names');
    else {
      for (const value of input.ssh_keys) {
        const ref = idOrName(value);
        const key = ref && findRef(state.sshKeys, ref);
        if (key) sshKeys.push(key);
        else problem('ssh_keys', `SSH key '${String(value)}' not found`);
      }
    }
  }

  const networks: Network[] = [];
  if (input.networks !== undefined) {
    if (!Array.isArray(input.networks)) problem('networks', 'must be a list of network ids');
    else {
      for (const value of input.networks) {
        const network = typeof value === 'number' ? state.networks.find((n) => n.id === value) : undefined;
        if (network) networks.push(network);
        else problem('networks', `network '${String(value)}' not found (networks are given by id)`);
      }
    }
  }

  let enableIpv4 = true;
  let enableIpv6 = true;
  if (input.public_net !== undefined) {
    const publicNet = input.public_net as Record<string, unknown> | null;
    if (typeof publicNet !== 'object' || publicNet === null) problem('public_net', 'must be an object');
    else {
      for (const key of ['enable_ipv4', 'enable_ipv6'] as const) {
        if (publicNet[key] !== undefined && typeof publicNet[key] !== 'boolean') problem('public_net', `${key} must be a boolean`);
      }
      if (publicNet.ipv4 !== undefined || publicNet.ipv6 !== undefined) {
        problem('public_net', 'primary IP ids are not supported by the fake');
      }
      enableIpv4 = publicNet.enable_ipv4 !== false;
      enableIpv6 = publicNet.enable_ipv6 !== false;
      if (!enableIpv4 && !enableIpv6 && networks.length === 0) {
        problem('public_net', 'a server without public IPs must be attached to a network');
      }
    }
  }

  if (input.start_after_create !== undefined && typeof input.start_after_create !== 'boolean') {
    problem('start_after_create', 'must be a boolean');
  }
  for (const key of ['volumes', 'firewalls'] as const) {
    const value = input[key];
    if (value !== undefined && (!Array.isArray(value) || value.length > 0)) problem(key, `${key} are not supported by the fake`);
  }
  if (input.placement_group !== undefined && input.placement_group !== null) {
    problem('placement_group', 'placement groups are not supported by the fake');
  }

  if (problems.length > 0) throw invalidInput(problems);
  // Every reference resolved; only conflicts with the project's state remain.
  if (!serverType || !image) throw ApiError.of('server_error');
  if (!location) throw ApiError.of('resource_unavailable', `server type ${serverType.name} is unavailable in every location`);

  if (state.servers.some((s) => s.name === name)) {
    throw ApiError.of('uniqueness_error', 'server name is already used', { fields: [{ name: 'name' }] });
  }
  const offer = serverType.locations.find((sl) => sl.id === location?.id);
  if (!offer?.available) {
    throw ApiError.of('resource_unavailable', `server type ${serverType.name} is unavailable in ${location.name}`);
  }

  return {
    name: name as string,
    serverType,
    image,
    location,
    labels: labels as Labels,
    userData: userData as string | undefined,
    sshKeys,
    networks,
    enableIpv4,
    enableIpv6,
    startAfterCreate: input.start_after_create !== false,
  };
}
