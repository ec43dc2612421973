import {
  type CreationOptional,
  DataTypes,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { type ProviderType } from './schemas/common';
import { type ScopeWorkerPoolLimits, type WorkerPoolLimits } from './schemas/limits';
import { type WorkerPoolSpecification } from './schemas/specifications';

/** Snake-case table columns, camel-case TypeScript fields. */
const common = { underscored: true, timestamps: false } as const;
// Fresh objects per attribute: Sequelize writes the column name into each definition it is given.
const id = () => ({ type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true });
const jsonb = (defaultValue: unknown = {}) => ({ type: DataTypes.JSONB, allowNull: false, defaultValue });
const textArray = () => ({ type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] });
const now = () => ({ type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW });
const nullableDate = () => ({ type: DataTypes.DATE, allowNull: true });

export class Scope extends Model<InferAttributes<Scope>, InferCreationAttributes<Scope>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare label: CreationOptional<string>;
  declare createdAt: CreationOptional<Date>;
}

/** An API token; only the sha256 of the key is stored (see tokens.ts). */
export class Token extends Model<InferAttributes<Token>, InferCreationAttributes<Token>> {
  declare id: CreationOptional<string>;
  declare hash: string;
  declare userName: string | null;
  declare comment: CreationOptional<string>;
  declare createdAt: CreationOptional<Date>;
  declare expireAt: Date | null;
  declare enabled: CreationOptional<boolean>;
  declare lastSeenAt: CreationOptional<Date | null>;
}

/**
 * A cloud provider account. Its credentials are sealed (encrypted, see secretKeys.ts) in
 * `sealedCredentials`, which default scopes never load nor serialise: drivers read them with
 * `readProviderCredentials` only.
 */
export class ProviderAccount extends Model<InferAttributes<ProviderAccount>, InferCreationAttributes<ProviderAccount>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare providerType: ProviderType;
  declare configuration: CreationOptional<Record<string, unknown>>;
  declare sealedCredentials: string;
  declare credentialFields: CreationOptional<string[]>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  override toJSON(): object {
    const { sealedCredentials: _secret, ...visible } = super.toJSON() as InferAttributes<ProviderAccount>;
    return visible;
  }
}

export class WorkerPool extends Model<InferAttributes<WorkerPool>, InferCreationAttributes<WorkerPool>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare providerAccountId: ForeignKey<ProviderAccount['id']>;
  declare providerType: ProviderType;
  declare enabled: CreationOptional<boolean>;
  declare architectures: CreationOptional<string[]>;
  declare tags: CreationOptional<string[]>;
  declare specifications: WorkerPoolSpecification;
  declare instanceWide: CreationOptional<boolean>;
  declare ephemeral: CreationOptional<boolean>;
  declare limits: CreationOptional<WorkerPoolLimits>;
  declare registeredAt: CreationOptional<Date>;
  /** Derived from tags, architectures and specifications by `poolCapabilities` on every write. */
  declare workerTags: CreationOptional<string[]>;
  declare capabilityTags: CreationOptional<string[]>;
  declare numericTags: CreationOptional<Record<string, number>>;
  declare providerAccount?: NonAttribute<ProviderAccount>;
}

export class ScopeWorkerPool extends Model<InferAttributes<ScopeWorkerPool>, InferCreationAttributes<ScopeWorkerPool>> {
  declare id: CreationOptional<string>;
  declare scopeId: ForeignKey<Scope['id']>;
  declare workerPoolId: ForeignKey<WorkerPool['id']>;
  /** Copy of the pool's `instance_wide`, kept by a cascading foreign key; see migration 0001. */
  declare poolInstanceWide: boolean;
  declare priority: CreationOptional<number>;
  declare limits: CreationOptional<ScopeWorkerPoolLimits>;
  declare scope?: NonAttribute<Scope>;
  declare workerPool?: NonAttribute<WorkerPool>;
}

export const WORKER_TYPES = ['external', 'celery', 'signing'] as const;
export type WorkerType = (typeof WORKER_TYPES)[number];

export class Worker extends Model<InferAttributes<Worker>, InferCreationAttributes<Worker>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare workerType: CreationOptional<WorkerType>;
  declare registeredAt: CreationOptional<Date>;
  /** Pool workers: when the current instance was launched; null means stopped (inactive). */
  declare instanceCreatedAt: CreationOptional<Date | null>;
  /** Pool workers: the image the current (or last) instance was launched from. */
  declare imageId: CreationOptional<string | null>;
  /** Pool workers: since when it takes no new work and ends once idle (the provisioner's decision), else null. */
  declare drainingSince: CreationOptional<Date | null>;
  /** The provisioner's reason for draining it, e.g. `DrainOverBudget`; null when not draining. */
  declare drainingReason: CreationOptional<string | null>;
  declare tokenId: ForeignKey<Token['id']> | null;
  declare activationTokenId: ForeignKey<Token['id']> | null;
  declare staticMetadata: CreationOptional<Record<string, unknown>>;
  declare dynamicMetadata: CreationOptional<Record<string, unknown>>;
  declare dynamicMetadataUpdatedAt: CreationOptional<Date | null>;
  declare concurrency: CreationOptional<number>;
  declare workerPoolId: ForeignKey<WorkerPool['id']> | null;
  declare workerPoolData: CreationOptional<Record<string, unknown> | null>;
  /** Tags an admin set (`worker tag`), as written, numeric ones included. */
  declare adminTags: CreationOptional<string[]>;
  /** Effective plain tags the scheduler matches on (reported, admin and pool tags). */
  declare tags: CreationOptional<string[]>;
  /** Effective numeric tags the scheduler compares against minimums, e.g. `{ memory_gib: 16 }`. */
  declare numericTags: CreationOptional<Record<string, number>>;
  declare token?: NonAttribute<Token>;
  declare activationToken?: NonAttribute<Token>;
  declare workerPool?: NonAttribute<WorkerPool>;
}

export const WORK_REQUEST_STATUSES = ['pending', 'running', 'completed', 'aborted', 'blocked'] as const;
export type WorkRequestStatus = (typeof WORK_REQUEST_STATUSES)[number];
export const WORK_REQUEST_RESULTS = ['', 'success', 'failure', 'error', 'skipped'] as const;
export type WorkRequestResult = (typeof WORK_REQUEST_RESULTS)[number];
export const TASK_TYPES = ['Worker', 'Server', 'Internal', 'Workflow', 'Signing', 'Wait'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Optional integers reported by the worker on completion. */
export interface RuntimeStatistics {
  duration?: number;
  cpu_time?: number;
  disk_space?: number;
  memory?: number;
  available_disk_space?: number;
  available_memory?: number;
  cpu_count?: number;
}

export interface WorkRequestOutputData {
  runtime_statistics?: RuntimeStatistics;
  errors?: { message: string; code: string }[];
  skip_reason?: string;
}

export class WorkRequest extends Model<InferAttributes<WorkRequest>, InferCreationAttributes<WorkRequest>> {
  declare id: CreationOptional<string>;
  declare scopeId: ForeignKey<Scope['id']>;
  declare status: CreationOptional<WorkRequestStatus>;
  declare result: CreationOptional<WorkRequestResult>;
  declare taskType: CreationOptional<TaskType>;
  declare taskName: string;
  declare taskData: CreationOptional<Record<string, unknown>>;
  declare priorityBase: CreationOptional<number>;
  declare priorityAdjustment: CreationOptional<number>;
  declare workerId: ForeignKey<Worker['id']> | null;
  declare createdAt: CreationOptional<Date>;
  declare startedAt: CreationOptional<Date | null>;
  declare completedAt: CreationOptional<Date | null>;
  declare outputData: CreationOptional<WorkRequestOutputData>;
  declare retryCount: CreationOptional<number>;
  declare supersedesId: CreationOptional<string | null>;
  declare requirementSetId: CreationOptional<string | null>;
  declare scope?: NonAttribute<Scope>;
  declare worker?: NonAttribute<Worker>;

  get effectivePriority(): NonAttribute<number> {
    return this.priorityBase + this.priorityAdjustment;
  }
}

/** Running time of one terminated instance (written on termination). */
export class WorkerPoolStatistics extends Model<
  InferAttributes<WorkerPoolStatistics>,
  InferCreationAttributes<WorkerPoolStatistics>
> {
  declare id: CreationOptional<string>;
  declare workerPoolId: ForeignKey<WorkerPool['id']>;
  declare workerId: ForeignKey<Worker['id']> | null;
  declare timestamp: CreationOptional<Date>;
  declare runtime: number;
}

/** Execution time of one completed task on a pool worker, charged to its scope. */
export class WorkerPoolTaskExecutionStatistics extends Model<
  InferAttributes<WorkerPoolTaskExecutionStatistics>,
  InferCreationAttributes<WorkerPoolTaskExecutionStatistics>
> {
  declare id: CreationOptional<string>;
  declare workerPoolId: ForeignKey<WorkerPool['id']>;
  declare workerId: ForeignKey<Worker['id']> | null;
  declare scopeId: ForeignKey<Scope['id']>;
  declare timestamp: CreationOptional<Date>;
  declare runtime: number;
}

export interface Models {
  Scope: typeof Scope;
  Token: typeof Token;
  ProviderAccount: typeof ProviderAccount;
  WorkerPool: typeof WorkerPool;
  ScopeWorkerPool: typeof ScopeWorkerPool;
  Worker: typeof Worker;
  WorkRequest: typeof WorkRequest;
  WorkerPoolStatistics: typeof WorkerPoolStatistics;
  WorkerPoolTaskExecutionStatistics: typeof WorkerPoolTaskExecutionStatistics;
}

/** Binds the model classes to a Sequelize instance. Schema comes from migrations, never sync(). */
export function initModels(sequelize: Sequelize): Models {
  Scope.init(
    {
      id: id(),
      name: { type: DataTypes.TEXT, allowNull: false, unique: true },
      label: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      createdAt: now(),
    },
    { ...common, sequelize, tableName: 'scopes' },
  );
  Token.init(
    {
      id: id(),
      hash: { type: DataTypes.TEXT, allowNull: false, unique: true },
      userName: { type: DataTypes.TEXT, allowNull: true },
      comment: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      createdAt: now(),
      expireAt: nullableDate(),
      enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      lastSeenAt: nullableDate(),
    },
    { ...common, sequelize, tableName: 'tokens' },
  );
  ProviderAccount.init(
    {
      id: id(),
      name: { type: DataTypes.TEXT, allowNull: false, unique: true },
      providerType: { type: DataTypes.TEXT, allowNull: false },
      configuration: jsonb(),
      sealedCredentials: { type: DataTypes.TEXT, allowNull: false },
      credentialFields: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      createdAt: now(),
      updatedAt: now(),
    },
    {
      ...common,
      sequelize,
      tableName: 'provider_accounts',
      defaultScope: { attributes: { exclude: ['sealedCredentials'] } },
    },
  );
  WorkerPool.init(
    {
      id: id(),
      name: { type: DataTypes.TEXT, allowNull: false, unique: true },
      providerType: { type: DataTypes.TEXT, allowNull: false },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      architectures: textArray(),
      tags: textArray(),
      specifications: jsonb(),
      instanceWide: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      ephemeral: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      limits: jsonb(),
      registeredAt: now(),
      workerTags: textArray(),
      capabilityTags: textArray(),
      numericTags: jsonb(),
    },
    { ...common, sequelize, tableName: 'worker_pools' },
  );
  ScopeWorkerPool.init(
    {
      id: id(),
      poolInstanceWide: { type: DataTypes.BOOLEAN, allowNull: false },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      limits: jsonb(),
    },
    { ...common, sequelize, tableName: 'scope_worker_pools' },
  );
  Worker.init(
    {
      id: id(),
      name: { type: DataTypes.TEXT, allowNull: false, unique: true },
      workerType: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'external' },
      registeredAt: now(),
      instanceCreatedAt: nullableDate(),
      imageId: { type: DataTypes.TEXT, allowNull: true },
      drainingSince: nullableDate(),
      drainingReason: { type: DataTypes.TEXT, allowNull: true },
      staticMetadata: jsonb(),
      dynamicMetadata: jsonb(),
      dynamicMetadataUpdatedAt: nullableDate(),
      concurrency: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      workerPoolData: { type: DataTypes.JSONB, allowNull: true },
      adminTags: textArray(),
      tags: textArray(),
      numericTags: jsonb(),
    },
    { ...common, sequelize, tableName: 'workers' },
  );
  WorkRequest.init(
    {
      id: id(),
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'pending' },
      result: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      taskType: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'Worker' },
      taskName: { type: DataTypes.TEXT, allowNull: false },
      taskData: jsonb(),
      priorityBase: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      priorityAdjustment: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      createdAt: now(),
      startedAt: nullableDate(),
      completedAt: nullableDate(),
      outputData: jsonb(),
      retryCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      supersedesId: { type: DataTypes.BIGINT, allowNull: true },
      requirementSetId: { type: DataTypes.BIGINT, allowNull: true },
    },
    { ...common, sequelize, tableName: 'work_requests' },
  );
  const statistics = () => ({ id: id(), timestamp: now(), runtime: { type: DataTypes.INTEGER, allowNull: false } });
  WorkerPoolStatistics.init(statistics(), { ...common, sequelize, tableName: 'worker_pool_statistics' });
  WorkerPoolTaskExecutionStatistics.init(statistics(), {
    ...common,
    sequelize,
    tableName: 'worker_pool_task_execution_statistics',
  });

  WorkerPool.belongsTo(ProviderAccount, { as: 'providerAccount', foreignKey: 'providerAccountId' });
  ProviderAccount.hasMany(WorkerPool, { foreignKey: 'providerAccountId' });
  ScopeWorkerPool.belongsTo(Scope, { as: 'scope', foreignKey: 'scopeId' });
  ScopeWorkerPool.belongsTo(WorkerPool, { as: 'workerPool', foreignKey: 'workerPoolId' });
  WorkerPool.hasMany(ScopeWorkerPool, { as: 'scopeLinks', foreignKey: 'workerPoolId' });
  Scope.hasMany(ScopeWorkerPool, { as: 'poolLinks', foreignKey: 'scopeId' });
  Worker.belongsTo(Token, { as: 'token', foreignKey: 'tokenId' });
  Worker.belongsTo(Token, { as: 'activationToken', foreignKey: 'activationTokenId' });
  Worker.belongsTo(WorkerPool, { as: 'workerPool', foreignKey: 'workerPoolId' });
  WorkerPool.hasMany(Worker, { as: 'workers', foreignKey: 'workerPoolId' });
  WorkRequest.belongsTo(Scope, { as: 'scope', foreignKey: 'scopeId' });
  WorkRequest.belongsTo(Worker, { as: 'worker', foreignKey: 'workerId' });
  WorkRequest.belongsTo(WorkRequest, { as: 'supersedes', foreignKey: 'supersedesId' });
  for (const Stats of [WorkerPoolStatistics, WorkerPoolTaskExecutionStatistics]) {
    Stats.belongsTo(WorkerPool, { as: 'workerPool', foreignKey: 'workerPoolId' });
    Stats.belongsTo(Worker, { as: 'worker', foreignKey: 'workerId' });
  }
  WorkerPoolTaskExecutionStatistics.belongsTo(Scope, { as: 'scope', foreignKey: 'scopeId' });

  return {
    Scope,
    Token,
    ProviderAccount,
    WorkerPool,
    ScopeWorkerPool,
    Worker,
    WorkRequest,
    WorkerPoolStatistics,
    WorkerPoolTaskExecutionStatistics,
  };
}
