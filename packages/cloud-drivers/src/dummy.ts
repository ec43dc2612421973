import { type CloudDriver, type InstanceSpec, type LaunchOptions, type LaunchResult, type ProviderInstance } from './driver';
import { ProviderError, type ProviderErrorKind } from './errors';
import { runLaunch } from './launch';
import { checkInstallationId, instanceFromLabels, isOwnedBy, ownershipLabels } from './ownership';

export interface DummyInstance {
  id: string;
  labels: Record<string, string>;
  createdAt: Date;
  /** The cloud-init user data it was launched with, for simulations that play the booted worker. */
  userData: string;
}

/**
 * Where a pretend cloud keeps its instances. Drivers that share one see each other's
 * instances, as drivers for one real account do. `@buildfleet/provisioner` keeps one in the
 * database, so that every process sees the same pretend cloud; `InMemoryDummyCloud` lives and
 * dies with one process (tests).
 */
export interface DummyCloud {
  /** Stores a new instance under a fresh id, unique in this cloud. */
  add(instance: Omit<DummyInstance, 'id'>): Promise<DummyInstance>;
  get(id: string): Promise<DummyInstance | undefined>;
  remove(id: string): Promise<void>;
  list(): Promise<DummyInstance[]>;
}

/** A pretend cloud in this process's memory. */
export class InMemoryDummyCloud implements DummyCloud {
  readonly instances = new Map<string, DummyInstance>();
  private nextId = 1;

  async add(instance: Omit<DummyInstance, 'id'>): Promise<DummyInstance> {
    const stored = { ...instance, id: `dummy-${this.nextId++}` };
    this.instances.set(stored.id, stored);
    return stored;
  }

  async get(id: string): Promise<DummyInstance | undefined> {
    return this.instances.get(id);
  }

  async remove(id: string): Promise<void> {
    this.instances.delete(id);
  }

  async list(): Promise<DummyInstance[]> {
    return [...this.instances.values()];
  }
}

export interface DummyDriverOptions {
  installationId: string;
  cloud: DummyCloud;
  /** How long an instance stays `creating` before it is `running`. (Default: 0) */
  bootDelayMs?: number;
  /** Share of launches, from 0 to 1, that fail. (Default: 0) */
  failureRate?: number;
  /** Kind of the simulated failures. (Default: capacity) */
  failureKind?: ProviderErrorKind;
  /** Source of the failure draws in [0, 1); inject one to make failures deterministic. (Default: Math.random) */
  random?: () => number;
  /** (Default: () => new Date()) */
  now?: () => Date;
}

/** A driver that makes no external calls, for tests, demos and simulation. */
export class DummyDriver implements CloudDriver {
  readonly providerType = 'dummy';
  private readonly cloud: DummyCloud;
  private readonly bootDelayMs: number;
  private readonly failureRate: number;
  private readonly failureKind: ProviderErrorKind;
  private readonly random: () => number;
  private readonly now: () => Date;

  constructor(private readonly options: DummyDriverOptions) {
    checkInstallationId(options.installationId);
    if (options.failureRate !== undefined && !(options.failureRate >= 0 && options.failureRate <= 1)) {
      throw new ProviderError('invalid', `failureRate must be between 0 and 1, got ${options.failureRate}`);
    }
    this.cloud = options.cloud;
    this.bootDelayMs = options.bootDelayMs ?? 0;
    this.failureRate = options.failureRate ?? 0;
    this.failureKind = options.failureKind ?? 'capacity';
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
  }

  launch(specs: InstanceSpec[], opts: LaunchOptions = {}): Promise<LaunchResult> {
    return runLaunch(specs, opts, {
      parallelism: specs.length,
      retry: { attempts: 1 },
      findExisting: async (workerNames) => {
        const names = new Set(workerNames);
        return (await this.list()).filter((i) => i.workerName !== undefined && names.has(i.workerName));
      },
      create: async (spec) => {
        if (this.random() < this.failureRate) {
          throw new ProviderError(this.failureKind, `dummy: simulated ${this.failureKind} failure for ${spec.workerName}`);
        }
        const { id } = await this.cloud.add({
          labels: ownershipLabels(this.options.installationId, spec),
          createdAt: this.now(),
          userData: spec.userData,
        });
        return { instanceId: id, data: { 'instance-id': id } };
      },
      classify: (error) =>
        error instanceof ProviderError ? error : new ProviderError('transient', `dummy: ${String(error)}`),
    });
  }

  async terminate(instanceId: string): Promise<void> {
    const instance = await this.cloud.get(instanceId);
    if (instance && isOwnedBy(this.options.installationId, instance.labels)) await this.cloud.remove(instanceId);
  }

  async list(): Promise<ProviderInstance[]> {
    const now = this.now().getTime();
    return (await this.cloud.list())
      .filter((i) => isOwnedBy(this.options.installationId, i.labels))
      .map((i) =>
        instanceFromLabels(
          i.id,
          now - i.createdAt.getTime() >= this.bootDelayMs ? 'running' : 'creating',
          { ...i.labels },
          i.createdAt,
        ),
      );
  }
}
