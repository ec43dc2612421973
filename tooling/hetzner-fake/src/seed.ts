import { type Architecture, type Deprecation, type Image, type Location, type ServerType } from './schema';

/**
 * Default catalogue of the fake. Ids and values marked "recorded" come from real API responses
 * kept as fixtures in hcloud-go and fleeting-plugin-hetzner; the rest are illustrative.
 */

export const DEFAULT_LOCATIONS: Location[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
  },
];

/**
 * Hetzner deprecated CX Gen 2 (cx22…cx52) and CPX Gen 1 (cpx11…cpx51) on 2025-10-16 and removed
 * them from the API after 2025-12-31 (changelog 2025-10-16-server-types-deprecated; recorded in
 * hcloud-go's server_test.go). The fake still lets you create them so that older fixtures run,
 * but reports the deprecation exactly as the API did while they were orderable.
 */
const GEN2_DEPRECATION: Deprecation = {
  announced: '2025-10-16T06:00:00Z',
  unavailable_after: '2025-12-31T23:59:59Z',
};

const TB = 1024 ** 4;

interface TypeSpec {
  id: number;
  name: string;
  category: string;
  cores: number;
  memory: number;
  disk: number;
  architecture: Architecture;
  monthlyEur: number;
  deprecation?: Deprecation;
}

function price(amount: number): { net: string; gross: string } {
  return { net: amount.toFixed(10), gross: amount.toFixed(16) };
}

function serverType(spec: TypeSpec): ServerType {
  const deprecation = spec.deprecation ?? null;
  return {
    id: spec.id,
    name: spec.name,
    description: spec.name.toUpperCase(),
    category: spec.category,
    cores: spec.cores,
    memory: spec.memory,
    disk: spec.disk,
    storage_type: 'local',
    cpu_type: 'shared',
    architecture: spec.architecture,
    included_traffic: 20 * TB,
    prices: DEFAULT_LOCATIONS.map((l) => ({
      location: l.name,
      price_hourly: price(Math.round((spec.monthlyEur / 730) * 10000) / 10000),
      price_monthly: price(spec.monthlyEur),
      included_traffic: 20 * TB,
      price_per_tb_traffic: price(1),
    })),
    deprecated: deprecation !== null,
    deprecation,
    locations: DEFAULT_LOCATIONS.map((l) => ({
      id: l.id,
      name: l.name,
      deprecation,
      available: true,
      recommended: l.name === 'fsn1',
    })),
  };
}

const SERVER_TYPE_SPECS: TypeSpec[] = [
  // cx22: id, specs, price and deprecation recorded.
  { id: 104, name: 'cx22', category: 'cost_optimized', cores: 2, memory: 4, disk: 40, architecture: 'x86', monthlyEur: 3.29, deprecation: GEN2_DEPRECATION },
  { id: 105, name: 'cx32', category: 'cost_optimized', cores: 4, memory: 8, disk: 80, architecture: 'x86', monthlyEur: 6.3, deprecation: GEN2_DEPRECATION },
  { id: 106, name: 'cx42', category: 'cost_optimized', cores: 8, memory: 16, disk: 160, architecture: 'x86', monthlyEur: 15.9, deprecation: GEN2_DEPRECATION },
  { id: 22, name: 'cpx11', category: 'regular_purpose', cores: 2, memory: 2, disk: 40, architecture: 'x86', monthlyEur: 4.35, deprecation: GEN2_DEPRECATION },
  { id: 45, name: 'cax11', category: 'cost_optimized', cores: 2, memory: 4, disk: 40, architecture: 'arm', monthlyEur: 3.79 },
  // The successors fleeting-plugin-hetzner's tests use today.
  { id: 114, name: 'cx23', category: 'cost_optimized', cores: 2, memory: 4, disk: 40, architecture: 'x86', monthlyEur: 3.49 },
  { id: 116, name: 'cpx22', category: 'regular_purpose', cores: 2, memory: 4, disk: 80, architecture: 'x86', monthlyEur: 7.99 },
];

export const DEFAULT_SERVER_TYPES: ServerType[] = SERVER_TYPE_SPECS.map(serverType);

function systemImage(id: number, name: string, version: string, architecture: Architecture, created: string): Image {
  return {
    id,
    type: 'system',
    status: 'available',
    name,
    description: `Debian ${version}`,
    image_size: null,
    disk_size: 5,
    created,
    created_from: null,
    bound_to: null,
    os_flavor: 'debian',
    os_version: version,
    architecture,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
  };
}

/**
 * System images exist once per architecture under the same name; a server create that names the
 * image picks the variant matching the server type's architecture, as the API does.
 */
export const DEFAULT_IMAGES: Image[] = [
  systemImage(114690387, 'debian-12', '12', 'x86', '2023-06-13T06:00:00Z'), // id recorded
  systemImage(114690389, 'debian-12', '12', 'arm', '2023-06-13T06:00:00Z'),
  systemImage(310554929, 'debian-13', '13', 'x86', '2025-08-18T06:15:25Z'), // id and created recorded
  systemImage(310554931, 'debian-13', '13', 'arm', '2025-08-18T06:15:25Z'),
];

/** A network to seed: only the name is required. */
export interface NetworkSeed {
  name: string;
  /** (Default: 10.<n>.0.0/16, with one cloud subnet 10.<n>.0.0/24 in eu-central) */
  ip_range?: string;
  labels?: Record<string, string>;
}

/** An SSH key to seed: only the name is required. */
export interface SshKeySeed {
  name: string;
  /** (Default: a made-up ed25519 key) */
  public_key?: string;
  labels?: Record<string, string>;
}

export const DEFAULT_NETWORKS: NetworkSeed[] = [{ name: 'buildfleet' }];
export const DEFAULT_SSH_KEYS: SshKeySeed[] = [{ name: 'buildfleet' }];
