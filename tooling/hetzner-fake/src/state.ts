import { createHash } from 'node:crypto';
import {
  type Action,
  type ActionResource,
  type Image,
  type Location,
  type Network,
  type Server,
  type ServerStatus,
  type ServerType,
  type SshKey,
} from './schema';
import { type NetworkSeed, type SshKeySeed } from './seed';

export interface Timing {
  actionDurationMs: number;
  serverBootMs: number;
}

interface Scheduled {
  at: number;
  serverId?: number;
  apply: () => void;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Everything the fake project holds. Time-driven changes (actions finishing, servers booting) are
 * scheduled and applied lazily by `advance()`, which the HTTP layer calls before each request, so
 * a response never changes state it has just reported.
 */
export class FakeState {
  readonly servers: Server[] = [];
  readonly actions: Action[] = [];
  readonly images: Image[];
  readonly networks: Network[];
  readonly sshKeys: SshKey[];
  readonly serverTypes: ServerType[];
  readonly locations: Location[];

  private scheduled: Scheduled[] = [];
  private ids = { server: 1000, action: 1, image: 400000000, primaryIp: 5000 };

  constructor(
    catalogue: {
      serverTypes: ServerType[];
      locations: Location[];
      images: Image[];
      networks: NetworkSeed[];
      sshKeys: SshKeySeed[];
    },
    readonly timing: Timing,
    readonly clock: () => number,
  ) {
    this.serverTypes = structuredClone(catalogue.serverTypes);
    this.locations = structuredClone(catalogue.locations);
    this.images = structuredClone(catalogue.images);
    const created = isoTime(clock());
    this.networks = catalogue.networks.map((seed, i) => {
      const ipRange = seed.ip_range ?? `10.${i}.0.0/16`;
      const [a, b, c] = ipRange.split(/[./]/);
      return {
        id: i + 1,
        name: seed.name,
        created,
        ip_range: ipRange,
        subnets: [{ type: 'cloud', ip_range: `${a}.${b}.${c}.0/24`, network_zone: 'eu-central', gateway: `${a}.${b}.${c}.1` }],
        routes: [],
        servers: [],
        load_balancers: [],
        protection: { delete: false },
        labels: seed.labels ?? {},
        expose_routes_to_vswitch: false,
      };
    });
    this.sshKeys = catalogue.sshKeys.map((seed, i) => {
      const publicKey = seed.public_key ?? `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey${i} ${seed.name}`;
      const digest = createHash('md5').update(publicKey).digest('hex');
      return {
        id: i + 1,
        name: seed.name,
        fingerprint: digest.match(/../g)?.join(':') ?? digest,
        public_key: publicKey,
        labels: seed.labels ?? {},
        created,
      };
    });
  }

  now(): number {
    return this.clock();
  }

  /** Applies every scheduled change that is due, oldest first. */
  advance(): void {
    const now = this.clock();
    const due = this.scheduled.filter((s) => s.at <= now).sort((a, b) => a.at - b.at);
    this.scheduled = this.scheduled.filter((s) => s.at > now);
    for (const s of due) s.apply();
  }

  schedule(delayMs: number, apply: () => void, serverId?: number): void {
    this.scheduled.push({ at: this.clock() + delayMs, apply, serverId });
  }

  /** Sets a server's status now and drops its pending status changes. */
  setServerStatus(server: Server, status: ServerStatus): void {
    this.scheduled = this.scheduled.filter((s) => s.serverId !== server.id);
    server.status = status;
  }

  /** Schedules a status change that `setServerStatus` may cancel. */
  scheduleServerStatus(server: Server, delayMs: number, status: ServerStatus): void {
    this.schedule(delayMs, () => (server.status = status), server.id);
  }

  /** Starts a `running` action that succeeds after `actionDurationMs` and then runs `onSuccess`. */
  startAction(command: string, resources: ActionResource[], onSuccess?: () => void): Action {
    const action: Action = {
      id: this.ids.action++,
      command,
      status: 'running',
      progress: 0,
      started: isoTime(this.clock()),
      finished: null,
      resources,
      error: null,
    };
    this.actions.push(action);
    this.refreshLocks();
    this.schedule(this.timing.actionDurationMs, () => {
      action.status = 'success';
      action.progress = 100;
      action.finished = isoTime(this.clock());
      onSuccess?.();
      this.refreshLocks();
    });
    return action;
  }

  /** A server is locked while one of its actions runs. */
  refreshLocks(): void {
    const busy = new Set(
      this.actions
        .filter((a) => a.status === 'running')
        .flatMap((a) => a.resources.filter((r) => r.type === 'server').map((r) => r.id)),
    );
    for (const server of this.servers) server.locked = busy.has(server.id);
  }

  nextServerId(): number {
    return this.ids.server++;
  }

  nextImageId(): number {
    return this.ids.image++;
  }

  nextPrimaryIpId(): number {
    return this.ids.primaryIp++;
  }

  removeServer(server: Server): void {
    this.scheduled = this.scheduled.filter((s) => s.serverId !== server.id);
    this.servers.splice(this.servers.indexOf(server), 1);
    for (const network of this.networks) network.servers = network.servers.filter((id) => id !== server.id);
    for (let i = this.images.length - 1; i >= 0; i--) {
      if (this.images[i]?.bound_to === server.id) this.images.splice(i, 1);
    }
  }
}
