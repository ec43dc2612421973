import { ownValue, type HetznerCredentials, type HetznerSpecification } from '@buildfleet/models';
import {
  type CloudDriver,
  type InstanceSpec,
  type InstanceState,
  type LaunchOptions,
  type LaunchResult,
  type ProviderInstance,
} from '../driver';
import { ProviderError } from '../errors';
import { makeRedactor, userDataSecrets } from '../redaction';
import { runLaunch } from '../launch';
import {
  ADOPTABLE_STATES,
  checkInstallationId,
  instanceFromLabels,
  isOwnedBy,
  MANAGED_BY,
  OWNERSHIP_LABELS,
  ownershipLabels,
} from '../ownership';
import { type RetryOptions, withRetry } from '../retry';
import { DEFAULT_HETZNER_API_URL, HetznerClient } from './client';

export interface HetznerDriverOptions {
  credentials: HetznerCredentials;
  /** The account's `configuration.api_url`. (Default: https://api.hetzner.cloud/v1) */
  apiUrl?: string;
  installationId: string;
  specification: HetznerSpecification;
  /** Workers launched at the same time. (Default: 10) */
  parallelism?: number;
  /** (Default: DEFAULT_RETRY) */
  retry?: RetryOptions;
  /** Per HTTP request. (Default: 30000) */
  requestTimeoutMs?: number;
}

interface Server {
  id: number;
  name: string;
  status: string;
  created: string;
  labels: Record<string, string>;
}

interface ServerList {
  servers: Server[];
  meta?: { pagination?: { next_page: number | null } };
}

const STATES: Record<string, InstanceState> = {
  initializing: 'creating',
  starting: 'creating',
  rebuilding: 'creating',
  running: 'running',
  migrating: 'running',
  stopping: 'stopping',
  off: 'stopped',
  deleting: 'deleting',
};

/** Worker names per label selector, to keep the query string short. */
const SELECTOR_CHUNK = 50;

/** Hetzner Cloud through its HTTP API (with ownership labels and idempotent launch). */
export class HetznerDriver implements CloudDriver {
  readonly providerType = 'hetzner';
  private readonly client: HetznerClient;
  private readonly networkIds = new Map<string, Promise<number>>();

  constructor(private readonly options: HetznerDriverOptions) {
    checkInstallationId(options.installationId);
    this.client = new HetznerClient({
      apiUrl: options.apiUrl ?? DEFAULT_HETZNER_API_URL,
      token: options.credentials.api_token,
      redact: makeRedactor([options.credentials.api_token]),
      ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
    });
  }

  launch(specs: InstanceSpec[], opts: LaunchOptions = {}): Promise<LaunchResult> {
    const redact = makeRedactor([this.options.credentials.api_token, ...specs.flatMap((s) => userDataSecrets(s.userData))]);
    return runLaunch(specs, opts, {
      parallelism: this.options.parallelism ?? 10,
      retry: this.options.retry ?? {},
      findExisting: (workerNames) => this.findWorkers(workerNames),
      create: (spec) => this.createServer(spec, redact),
      classify: (error) =>
        error instanceof ProviderError
          ? error
          : new ProviderError('transient', `hetzner: unexpected ${redact(String(error))}`, { retryable: false }),
    });
  }

  async terminate(instanceId: string): Promise<void> {
    if (!/^\d+$/.test(instanceId)) {
      throw new ProviderError('invalid', `hetzner: "${instanceId}" is not a server id (a number)`);
    }
    await withRetry(async () => {
      try {
        await this.client.request('DELETE', `/servers/${instanceId}`);
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'not_found') return;
        throw error;
      }
    }, this.options.retry);
  }

  list(): Promise<ProviderInstance[]> {
    return withRetry(() => this.listServers([]), this.options.retry);
  }

  private ownershipSelector(): string {
    return `${OWNERSHIP_LABELS.managedBy}=${MANAGED_BY},${OWNERSHIP_LABELS.installation}=${this.options.installationId}`;
  }

  private async findWorkers(workerNames: string[]): Promise<ProviderInstance[]> {
    const selectors: string[] = [];
    for (let i = 0; i < workerNames.length; i += SELECTOR_CHUNK) {
      selectors.push(`${OWNERSHIP_LABELS.worker} in (${workerNames.slice(i, i + SELECTOR_CHUNK).join(',')})`);
    }
    return this.listServers(selectors);
  }

  /** Owned servers, following every page, once per extra selector (or once for none). */
  private async listServers(extraSelectors: string[]): Promise<ProviderInstance[]> {
    const instances: ProviderInstance[] = [];
    for (const extra of extraSelectors.length ? extraSelectors : ['']) {
      const label_selector = [this.ownershipSelector(), extra].filter(Boolean).join(',');
      for (let page: number | null = 1; page !== null; ) {
        const { body: list }: { body: ServerList } = await this.client.request<ServerList>('GET', '/servers', {
          query: { label_selector, per_page: '50', page: String(page) },
        });
        for (const server of list.servers) instances.push(toProviderInstance(server));
        page = list.meta?.pagination?.next_page ?? null;
      }
    }
    return instances;
  }

  private async createServer(spec: InstanceSpec, redact: (text: string) => string) {
    const { specification, installationId } = this.options;
    const networks: number[] = [];
    for (const name of specification.networks) networks.push(await this.networkId(name));
    try {
      const { body } = await this.client.request<{ server: Server }>('POST', '/servers', {
        body: {
          name: spec.workerName,
          server_type: specification.server_type,
          image: specification.image_name,
          ...(specification.location !== undefined ? { location: specification.location } : {}),
          ssh_keys: specification.ssh_keys,
          networks,
          labels: ownershipLabels(installationId, { ...spec, labels: { ...specification.labels, ...spec.labels } }),
          user_data: spec.userData,
          public_net: { enable_ipv4: specification.enable_ipv4, enable_ipv6: specification.enable_ipv6 },
          start_after_create: true,
        },
        redact,
      });
      return { instanceId: String(body.server.id), data: { 'instance-id': body.server.id } };
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'uniqueness_error') return this.claimExisting(spec, error);
      throw error;
    }
  }

  /**
   * A server with the worker's name exists. If it is ours (say, a create whose answer was
   * lost), it is the worker's instance; if it belongs to someone else, the name is taken.
   */
  private async claimExisting(spec: InstanceSpec, uniqueness: ProviderError) {
    const { body } = await this.client.request<ServerList>('GET', '/servers', { query: { name: spec.workerName } });
    const server = body.servers[0];
    if (!server) throw uniqueness;
    const owned =
      isOwnedBy(this.options.installationId, server.labels) && server.labels[OWNERSHIP_LABELS.worker] === spec.workerName;
    if (!owned) {
      throw new ProviderError(
        'invalid',
        `hetzner: a server named "${spec.workerName}" (id ${server.id}) exists and is not this installation's; ` +
          'delete or rename it, or give the worker another name',
        { code: 'uniqueness_error' },
      );
    }
    if (!ADOPTABLE_STATES.has(ownValue(STATES, server.status) ?? 'running')) {
      throw new ProviderError('transient', `hetzner: server "${spec.workerName}" (id ${server.id}) is still being deleted`, {
        code: 'uniqueness_error',
        retryAfterMs: 2000,
      });
    }
    return { instanceId: String(server.id), data: { 'instance-id': server.id, adopted: true } };
  }

  /** The id of a network, looked up once per name; concurrent launches share the lookup. */
  private networkId(name: string): Promise<number> {
    let id = this.networkIds.get(name);
    if (!id) {
      id = this.lookUpNetwork(name);
      this.networkIds.set(name, id);
      id.catch(() => this.networkIds.delete(name));
    }
    return id;
  }

  private async lookUpNetwork(name: string): Promise<number> {
    const { body } = await this.client.request<{ networks: { id: number; name: string }[] }>('GET', '/networks', {
      query: { name },
    });
    const network = body.networks.find((n) => n.name === name);
    if (!network) {
      throw new ProviderError('invalid', `hetzner: network not found: "${name}" (specification.networks); create it or fix the name`);
    }
    return network.id;
  }
}

function toProviderInstance(server: Server): ProviderInstance {
  // An unknown status (Hetzner has `unknown`) still means the server exists and costs money.
  const state = ownValue(STATES, server.status) ?? 'running';
  return instanceFromLabels(String(server.id), state, { ...server.labels }, new Date(server.created));
}
