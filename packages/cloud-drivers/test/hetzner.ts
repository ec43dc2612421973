import { type HetznerFake } from '@buildfleet/hetzner-fake';
import { hetznerSpecificationSchema, type HetznerSpecification } from '@buildfleet/models';
import { abortableSleep, type InstanceSpec } from '../src';
import { HetznerDriver, type HetznerDriverOptions } from '../src/hetzner/driver';

export const USER_DATA = '#cloud-config\nwrite_files:\n  - path: /etc/debusine/worker/activation-token\n    content: hz-activation-0123456789abcdef\n';

/** A pool specification as the pool admin commands store it: parsed by the models schema. */
export function hetznerSpecification(fields: Record<string, unknown> = {}): HetznerSpecification {
  return hetznerSpecificationSchema.parse({
    provider_type: 'hetzner',
    server_type: 'cpx22',
    image_name: 'debian-13',
    location: 'fsn1',
    ssh_keys: ['buildfleet'],
    labels: { team: 'debian' },
    ...fields,
  });
}

export function spec(workerName: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return { workerName, poolName: 'hetzner-amd64', userData: USER_DATA, labels: { purpose: 'ci' }, ...overrides };
}

/** A driver on the fake whose retry waits are recorded, and only slept with `realTime`. */
export function fakeDriver(fake: HetznerFake, options: Partial<HetznerDriverOptions> & { realTime?: boolean } = {}) {
  const waits: number[] = [];
  const { realTime, ...rest } = options;
  const driver = new HetznerDriver({
    credentials: { api_token: fake.token },
    apiUrl: fake.url,
    installationId: 'test',
    specification: hetznerSpecification(),
    retry: {
      sleep: async (ms) => {
        waits.push(ms);
        if (realTime) await abortableSleep(ms);
      },
      random: () => 0,
      ...(realTime ? { baseDelayMs: 10 } : {}),
    },
    ...rest,
  });
  return { driver, waits };
}

/** Creates a server directly through the API, as something other than this driver would. */
export async function createServerDirectly(fake: HetznerFake, name: string, labels: Record<string, string>): Promise<number> {
  const response = await fetch(`${fake.url}/servers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, server_type: 'cpx22', image: 'debian-13', location: 'fsn1', labels }),
  });
  if (response.status !== 201) throw new Error(`create ${name}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { server: { id: number } }).server.id;
}
