import { type HetznerFake, type HetznerFakeOptions, startHetznerFake } from '../src';

export const TOKEN = 'test-token-1234';

export interface Answer {
  status: number;
  headers: Headers;
  // Parsed JSON of the answer; tests narrow it with `as`.
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A client as thin as a driver's: plain fetch against the fake's base URL with the Bearer token. */
export function client(fake: HetznerFake, token = TOKEN) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}

export async function withFake(options: Partial<HetznerFakeOptions> = {}): Promise<HetznerFake> {
  return startHetznerFake({ token: TOKEN, ...options });
}

/** A create-server body a driver would send; override any field. */
export function serverBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'worker-1',
    server_type: 'cx22',
    image: 'debian-13',
    location: 'fsn1',
    ssh_keys: ['buildfleet'],
    labels: { 'managed-by': 'buildfleet', 'buildfleet-pool': 'amd64' },
    user_data: '#cloud-config\nruncmd: [true]\n',
    public_net: { enable_ipv4: true, enable_ipv6: true },
    ...overrides,
  };
}
