/**
 * The JSON shapes of the Hetzner Cloud API, as the fake sends them.
 *
 * Field names and nullability follow hcloud-go's `hcloud/schema` package (which tracks the
 * public API reference) as of mid-2026: servers carry `location`, not the removed `datacenter`;
 * server types carry per-location availability and deprecation.
 *
 * Terms:
 * - action: an asynchronous task (create_server, stop_server, create_image, ...) that a
 *   client polls until it reaches `success` or `error`.
 * - label selector: the query language of `?label_selector=` (`k=v`, `k!=v`, `k`, `!k`,
 *   `k in (a,b)`, `k notin (a,b)`, comma means AND).
 * - system image: an image Hetzner publishes (debian-13); snapshot and backup images are made
 *   from a server with `create_image`.
 */

export type Labels = Record<string, string>;

export type ServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export type ActionStatus = 'running' | 'success' | 'error';

export type Architecture = 'x86' | 'arm';

export interface Deprecation {
  announced: string;
  unavailable_after: string;
}

export interface Price {
  net: string;
  gross: string;
}

export interface ServerTypePrice {
  location: string;
  price_hourly: Price;
  price_monthly: Price;
  included_traffic: number;
  price_per_tb_traffic: Price;
}

export interface ServerTypeLocation {
  id: number;
  name: string;
  deprecation: Deprecation | null;
  available: boolean;
  recommended: boolean;
}

export interface ServerType {
  id: number;
  name: string;
  description: string;
  category: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type: 'local' | 'network';
  cpu_type: 'shared' | 'dedicated';
  architecture: Architecture;
  included_traffic: number;
  prices: ServerTypePrice[];
  deprecated: boolean;
  deprecation: Deprecation | null;
  locations: ServerTypeLocation[];
}

export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export type ImageType = 'system' | 'snapshot' | 'backup' | 'app';
export type ImageStatus = 'available' | 'creating' | 'unavailable';

export interface Image {
  id: number;
  type: ImageType;
  status: ImageStatus;
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string | null;
  created_from: { id: number; name: string } | null;
  bound_to: number | null;
  os_flavor: string;
  os_version: string | null;
  architecture: Architecture;
  rapid_deploy: boolean;
  protection: { delete: boolean };
  deprecated: string | null;
  deleted: string | null;
  labels: Labels;
}

export interface NetworkSubnet {
  type: 'cloud' | 'server' | 'vswitch';
  ip_range: string;
  network_zone: string;
  gateway: string;
}

export interface Network {
  id: number;
  name: string;
  created: string;
  ip_range: string;
  subnets: NetworkSubnet[];
  routes: { destination: string; gateway: string }[];
  servers: number[];
  load_balancers: number[];
  protection: { delete: boolean };
  labels: Labels;
  expose_routes_to_vswitch: boolean;
}

export interface SshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Labels;
  created: string;
}

export interface ServerPrivateNet {
  network: number;
  ip: string;
  alias_ips: string[];
  mac_address: string;
}

export interface Server {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  public_net: {
    ipv4: { id: number; ip: string; blocked: boolean; dns_ptr: string } | null;
    ipv6: { id: number; ip: string; blocked: boolean; dns_ptr: { ip: string; dns_ptr: string }[] } | null;
    floating_ips: number[];
    firewalls: { id: number; status: string }[];
  };
  private_net: ServerPrivateNet[];
  server_type: ServerType;
  location: Location;
  image: Image | null;
  iso: null;
  primary_disk_size: number;
  labels: Labels;
  protection: { delete: boolean; rebuild: boolean };
  backup_window: string | null;
  rescue_enabled: boolean;
  locked: boolean;
  placement_group: null;
  load_balancers: number[];
  volumes: number[];
  included_traffic: number;
  ingoing_traffic: number | null;
  outgoing_traffic: number | null;
}

export interface ActionResource {
  id: number;
  type: 'server' | 'image' | 'network';
}

export interface Action {
  id: number;
  command: string;
  status: ActionStatus;
  progress: number;
  started: string;
  finished: string | null;
  resources: ActionResource[];
  error: { code: string; message: string } | null;
}

export interface Pagination {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number;
  total_entries: number;
}

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}
