import { type CloudDriver, type InstanceSpec, type LaunchOptions, type LaunchResult, type ProviderInstance } from './driver';
import { isProviderError } from './errors';

export type DriverOperation = 'launch' | 'terminate' | 'list';

/** One call a RecordingDriver passed on (or failed), in call order. */
export type DriverCall =
  | { op: 'launch'; specs: InstanceSpec[]; outcome: LaunchResult | { error: unknown } }
  | { op: 'terminate'; instanceId: string; outcome: 'terminated' | { error: unknown } }
  | { op: 'list'; outcome: ProviderInstance[] | { error: unknown } };

export interface InjectedFailure {
  /** How many of the next calls of this operation fail. (Default: 1) */
  times?: number;
  /**
   * The call reaches the wrapped driver first and fails afterwards, as when the provider acted
   * but its answer was lost: a launch creates its instances and then rejects. (Default: false:
   * nothing reaches the provider; a launch reports every spec failed with `error`, as drivers
   * do for a ProviderError, and rejects with any other error.)
   */
  afterCall?: boolean;
}

/**
 * A CloudDriver for tests: it wraps a real driver (the dummy, usually), records every call
 * with its outcome, and fails the calls a test asks for, so a test can say "the next launch
 * fails with quota" or "terminating fails once" without writing a driver of its own.
 * `beforeCall` runs before each call reaches the wrapped driver (to observe the database at
 * that moment, for example).
 */
export class RecordingDriver implements CloudDriver {
  readonly calls: DriverCall[] = [];
  private readonly failures: Record<DriverOperation, { error: unknown; remaining: number; afterCall: boolean }[]> = {
    launch: [],
    terminate: [],
    list: [],
  };

  constructor(
    readonly inner: CloudDriver,
    private readonly options: { beforeCall?: (op: DriverOperation) => void | Promise<void> } = {},
  ) {}

  get providerType(): CloudDriver['providerType'] {
    return this.inner.providerType;
  }

  /** Makes the next call(s) of `op` fail with `error`. Failures queue in the order injected. */
  fail(op: DriverOperation, error: unknown, { times = 1, afterCall = false }: InjectedFailure = {}): this {
    this.failures[op].push({ error, remaining: times, afterCall });
    return this;
  }

  /** Every spec passed to `launch`, in call order, failed launches included. */
  get launchedSpecs(): InstanceSpec[] {
    return this.calls.flatMap((c) => (c.op === 'launch' ? c.specs : []));
  }

  /** The instance ids passed to `terminate`, in call order. */
  get terminatedIds(): string[] {
    return this.calls.flatMap((c) => (c.op === 'terminate' ? [c.instanceId] : []));
  }

  async launch(specs: InstanceSpec[], opts?: LaunchOptions): Promise<LaunchResult> {
    const failure = this.nextFailure('launch');
    const record = (outcome: LaunchResult | { error: unknown }) => this.calls.push({ op: 'launch', specs, outcome });
    if (failure && !failure.afterCall) {
      const { error } = failure;
      if (!isProviderError(error)) return this.reject(record, error);
      const result: LaunchResult = { launched: [], failed: specs.map((s) => ({ workerName: s.workerName, error })) };
      record(result);
      return result;
    }
    await this.options.beforeCall?.('launch');
    const result = await this.inner.launch(specs, opts);
    if (failure) return this.reject(record, failure.error);
    record(result);
    return result;
  }

  async terminate(instanceId: string): Promise<void> {
    const record = (outcome: 'terminated' | { error: unknown }) => this.calls.push({ op: 'terminate', instanceId, outcome });
    const failure = this.nextFailure('terminate');
    if (failure && !failure.afterCall) return this.reject(record, failure.error);
    await this.options.beforeCall?.('terminate');
    await this.inner.terminate(instanceId);
    if (failure) return this.reject(record, failure.error);
    record('terminated');
  }

  async list(): Promise<ProviderInstance[]> {
    const record = (outcome: ProviderInstance[] | { error: unknown }) => this.calls.push({ op: 'list', outcome });
    const failure = this.nextFailure('list');
    if (failure && !failure.afterCall) return this.reject(record, failure.error);
    await this.options.beforeCall?.('list');
    const instances = await this.inner.list();
    if (failure) return this.reject(record, failure.error);
    record(instances);
    return instances;
  }

  private nextFailure(op: DriverOperation) {
    const queue = this.failures[op];
    const failure = queue[0];
    if (!failure) return undefined;
    if (--failure.remaining <= 0) queue.shift();
    return failure;
  }

  private reject(record: (outcome: { error: unknown }) => void, error: unknown): never {
    record({ error });
    throw error;
  }
}
