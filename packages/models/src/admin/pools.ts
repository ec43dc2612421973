import { QueryTypes, type Transaction } from 'sequelize';
import { z } from 'zod';
import { type Database } from '../database';
import { ConflictError, NotFoundError } from '../errors';
import { type ProviderType, slugSchema } from '../schemas/common';
import { type WorkerPoolLimits, workerPoolLimitsSchema } from '../schemas/limits';
import { specificationSchemas, type WorkerPoolSpecification } from '../schemas/specifications';
import { parseTags } from '../tags';
import { type FieldIssue, parseInput, ValidationError } from '../validation';
import { poolCapabilities } from '../capabilities';
import { imageIdSchema, outdatedInstances, poolImage, withPoolImage } from '../poolImage';
import { explainConstraints } from './constraint';

/** Fields of a pool as `pool create` and `pool update` take them. */
export interface WorkerPoolInput {
  name: string;
  /** Name of the provider account; its provider_type decides the specification schema. */
  providerAccount: string;
  enabled?: boolean;
  /** Debian architectures the pool's instances run, e.g. `["amd64"]`. Required on create. */
  architectures?: string[];
  /** Tags the pool's workers get, plain or numeric (`memory_gib=16`). (Default: none) */
  tags?: string[];
  specifications?: unknown;
  /** (Default: the WorkerPoolLimits defaults) */
  limits?: unknown;
  /** (Default: true) */
  instanceWide?: boolean;
  /** (Default: false) */
  ephemeral?: boolean;
  /** For a pool that is not instance-wide: the one scope it serves. */
  scope?: string;
  /** The image to launch, set into the specification's image field (see `poolImage`). */
  image?: string;
}

export interface WorkerPoolView {
  name: string;
  providerAccount: string;
  providerType: ProviderType;
  enabled: boolean;
  architectures: string[];
  tags: string[];
  specifications: WorkerPoolSpecification;
  /** The image the pool launches (`poolImage`); null for a dummy pool that names none. */
  image: string | null;
  instanceWide: boolean;
  ephemeral: boolean;
  limits: WorkerPoolLimits;
  registeredAt: string;
  scopes: { scope: string; priority: number }[];
  /** `outdatedImage`: running instances launched from another image than the pool's. */
  workers: { total: number; running: number; outdatedImage: number };
}

const architectureSchema = z
  .array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'not a Debian architecture name (e.g. amd64, arm64)'))
  .min(1, 'give at least one architecture, e.g. amd64');

/** Creates the pool, or updates the one with that name with every given field. */
export async function upsertWorkerPool(
  db: Database,
  input: WorkerPoolInput,
): Promise<{ pool: WorkerPoolView; created: boolean }> {
  const existing = await db.models.WorkerPool.findOne({ where: { name: input.name } });
  if (existing) return { pool: await updateWorkerPool(db, input.name, input), created: false };
  const account = await findAccount(db, input.providerAccount);
  const fields = validatePoolFields(input, account.providerType, { creating: true });
  if (fields.image !== undefined) fields.specifications = withPoolImage(fields.specifications!, fields.image);
  await writePool(db, undefined, async (transaction) => {
    const pool = await db.models.WorkerPool.create(
      {
        name: input.name,
        providerAccountId: account.id,
        providerType: account.providerType,
        enabled: input.enabled ?? true,
        architectures: fields.architectures!,
        tags: fields.tags ?? [],
        specifications: fields.specifications!,
        instanceWide: input.instanceWide ?? true,
        ephemeral: input.ephemeral ?? false,
        limits: fields.limits ?? workerPoolLimitsSchema.parse({}),
        ...capabilityColumns({ tags: fields.tags ?? [], architectures: fields.architectures!, specifications: fields.specifications! }),
      },
      { transaction },
    );
    if (input.scope) await linkOnlyScope(db, pool.id, pool.instanceWide, input.scope, transaction);
  });
  return { pool: await getWorkerPool(db, input.name), created: true };
}

/**
 * Changes the given fields of an existing pool; absent fields stay as they are. Inside
 * `transaction` when given (its pool row locked until the caller commits).
 */
export async function updateWorkerPool(
  db: Database,
  name: string,
  patch: Partial<WorkerPoolInput>,
  { transaction: outer }: { transaction?: Transaction } = {},
): Promise<WorkerPoolView> {
  const pool = await db.models.WorkerPool.findOne({ where: { name }, transaction: outer, ...(outer ? { lock: true } : {}) });
  if (!pool) throw new NotFoundError('worker pool', name, 'see `buildfleet pool list`');
  const account = patch.providerAccount ? await findAccount(db, patch.providerAccount) : undefined;
  const providerType = account?.providerType ?? pool.providerType;
  if (account && account.providerType !== pool.providerType && patch.specifications === undefined) {
    throw ValidationError.single(
      'worker pool',
      'providerAccount',
      `account "${account.name}" is ${account.providerType} but the pool's specifications are for ${pool.providerType}; give new specifications too`,
    );
  }
  const fields = validatePoolFields(patch, providerType, { creating: false });
  if (fields.image !== undefined) fields.specifications = withPoolImage(fields.specifications ?? pool.specifications, fields.image);
  await writePool(db, outer, async (transaction) => {
    await pool.update(
      {
        ...(account ? { providerAccountId: account.id, providerType: account.providerType } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(fields.architectures ? { architectures: fields.architectures } : {}),
        ...(fields.tags ? { tags: fields.tags } : {}),
        ...(fields.specifications ? { specifications: fields.specifications } : {}),
        ...(fields.limits ? { limits: fields.limits } : {}),
        ...(patch.instanceWide !== undefined ? { instanceWide: patch.instanceWide } : {}),
        ...(patch.ephemeral !== undefined ? { ephemeral: patch.ephemeral } : {}),
      },
      { transaction },
    );
    await pool.update(capabilityColumns(pool), { transaction });
    if (patch.scope) await linkOnlyScope(db, pool.id, pool.instanceWide, patch.scope, transaction);
  });
  return getWorkerPool(db, name, { transaction: outer });
}

export async function setWorkerPoolEnabled(db: Database, name: string, enabled: boolean): Promise<WorkerPoolView> {
  return updateWorkerPool(db, name, { enabled });
}

/**
 * Deletes the pool and its worker rows. Refuses while instances run unless `force`; forced,
 * the running instances are reported so that they can be terminated at the provider.
 */
export async function deleteWorkerPool(
  db: Database,
  name: string,
  options: { force?: boolean } = {},
): Promise<{ deletedWorkers: number; runningInstances: string[] }> {
  const pool = await getWorkerPool(db, name);
  const { Worker, WorkerPool, Token } = db.models;
  return db.sequelize.transaction(async (transaction) => {
    const workers = await Worker.findAll({ where: { workerPoolId: await poolId(db, name) }, transaction, lock: true });
    const running = workers.filter((w) => w.instanceCreatedAt).map((w) => w.name);
    if (running.length && !options.force) {
      throw new ConflictError(
        `worker pool "${name}" has ${running.length} running instance${running.length === 1 ? '' : 's'} ` +
          `(${running.join(', ')}); terminate ${running.length === 1 ? 'it' : 'them'} first, or delete with --force`,
      );
    }
    const tokenIds = workers.flatMap((w) => [w.tokenId, w.activationTokenId]).filter((t): t is string => !!t);
    await Worker.destroy({ where: { id: workers.map((w) => w.id) }, transaction });
    await Token.destroy({ where: { id: tokenIds }, transaction });
    await WorkerPool.destroy({ where: { name: pool.name }, transaction });
    return { deletedWorkers: workers.length, runningInstances: running };
  });
}

export async function listWorkerPools(db: Database): Promise<WorkerPoolView[]> {
  return queryPools(db);
}

export async function getWorkerPool(
  db: Database,
  name: string,
  { transaction }: { transaction?: Transaction | undefined } = {},
): Promise<WorkerPoolView> {
  const [pool] = await queryPools(db, name, transaction);
  if (!pool) throw new NotFoundError('worker pool', name, 'see `buildfleet pool list`');
  return pool;
}

interface ValidatedFields {
  architectures?: string[];
  tags?: string[];
  specifications?: WorkerPoolSpecification;
  limits?: WorkerPoolLimits;
  image?: string;
}

/** Checks every given field and reports all problems at once. */
function validatePoolFields(
  input: Partial<WorkerPoolInput>,
  providerType: ProviderType,
  { creating }: { creating: boolean },
): ValidatedFields {
  const issues: FieldIssue[] = [];
  const fields: ValidatedFields = {};
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
  };
  if (creating) attempt(() => parseInput(slugSchema.max(60), input.name, 'worker pool', 'name'));
  if (creating || input.architectures !== undefined) {
    attempt(() => {
      fields.architectures = parseInput(architectureSchema, input.architectures ?? [], 'worker pool', 'architectures');
    });
  }
  if (input.tags !== undefined) attempt(() => (fields.tags = formatPoolTags(input.tags!)));
  if (creating || input.specifications !== undefined) {
    attempt(() => (fields.specifications = parseSpecifications(input.specifications, providerType)));
  }
  if (input.limits !== undefined) {
    attempt(() => (fields.limits = parseInput(workerPoolLimitsSchema, input.limits ?? {}, 'worker pool', 'limits')));
  }
  if (input.image !== undefined) attempt(() => (fields.image = parseInput(imageIdSchema, input.image, 'worker pool', 'image')));
  if (creating && input.instanceWide === false && !input.scope) {
    issues.push({ field: 'scope', message: 'a pool that is not instance-wide needs the one scope it serves (--scope)' });
  }
  if (input.scope !== undefined && input.instanceWide !== false && creating) {
    issues.push({
      field: 'scope',
      message: 'only a pool that is not instance-wide names a scope; add --no-instance-wide or link scopes with `scope-pool link`',
    });
  }
  if (issues.length) throw new ValidationError('worker pool', issues);
  return fields;
}

function capabilityColumns(pool: { tags: string[]; architectures: string[]; specifications: WorkerPoolSpecification }) {
  const { workerTags, capabilityTags, numericTags } = poolCapabilities(pool);
  return { workerTags, capabilityTags, numericTags };
}

function formatPoolTags(tags: string[]): string[] {
  const parsed = parseTags(tags, 'tags', 'worker pool');
  return [...parsed.plain, ...Object.entries(parsed.numeric).map(([n, v]) => `${n}=${v}`)];
}

function parseSpecifications(specifications: unknown, providerType: ProviderType): WorkerPoolSpecification {
  if (specifications === undefined || specifications === null) {
    throw ValidationError.single('worker pool', 'specifications', `give a ${providerType} specification (YAML)`);
  }
  const given = (specifications as { provider_type?: unknown }).provider_type;
  if (given !== undefined && given !== providerType) {
    throw ValidationError.single(
      'worker pool',
      'specifications.provider_type',
      `is "${String(given)}" but the provider account is ${providerType}; write a ${providerType} specification or use a ${String(given)} account`,
    );
  }
  const withType = typeof specifications === 'object' ? { provider_type: providerType, ...specifications } : specifications;
  return parseInput(specificationSchemas[providerType], withType, 'worker pool', 'specifications');
}

async function findAccount(db: Database, name: string) {
  const account = await db.models.ProviderAccount.findOne({ where: { name } });
  if (!account) {
    throw new NotFoundError('provider account', name, 'create it with `buildfleet account create --data FILE`');
  }
  return account;
}

async function poolId(db: Database, name: string): Promise<string> {
  const pool = await db.models.WorkerPool.findOne({ where: { name }, attributes: ['id'] });
  if (!pool) throw new NotFoundError('worker pool', name);
  return pool.id;
}

async function linkOnlyScope(
  db: Database,
  workerPoolId: string,
  instanceWide: boolean,
  scopeName: string,
  transaction: Transaction,
): Promise<void> {
  const scope = await db.models.Scope.findOne({ where: { name: scopeName }, transaction });
  if (!scope) throw new NotFoundError('scope', scopeName, 'create it with `buildfleet scope create`');
  await db.sequelize.query(
    `insert into scope_worker_pools (scope_id, worker_pool_id, pool_instance_wide) values ($1, $2, $3)
     on conflict (scope_id, worker_pool_id) do nothing`,
    { bind: [scope.id, workerPoolId, instanceWide], transaction },
  );
}

/**
 * Runs a pool write in a transaction (a savepoint inside `outer`), turning the scope rules of
 * migration 0001 into clear errors.
 */
function writePool(db: Database, outer: Transaction | undefined, fn: (transaction: Transaction) => Promise<void>): Promise<void> {
  return explainConstraints(() => (outer ? db.sequelize.transaction({ transaction: outer }, fn) : db.sequelize.transaction(fn)), {
    scoped_pool_has_one_scope: true,
    scope_worker_pools_scoped_pool_once:
      'a pool that is not instance-wide belongs to exactly one scope, and this pool is linked to several; unlink the others first',
  });
}

async function queryPools(db: Database, name?: string, transaction?: Transaction): Promise<WorkerPoolView[]> {
  const rows = await db.sequelize.query<{
    name: string;
    account: string;
    provider_type: ProviderType;
    enabled: boolean;
    architectures: string[];
    tags: string[];
    specifications: WorkerPoolSpecification;
    instance_wide: boolean;
    ephemeral: boolean;
    limits: WorkerPoolLimits;
    registered_at: Date;
    scopes: { scope: string; priority: number }[];
    total: number;
    running: number;
    live_images: Record<string, number>;
  }>(
    `select p.name, a.name as account, p.provider_type, p.enabled, p.architectures, p.tags, p.specifications,
            p.instance_wide, p.ephemeral, p.limits, p.registered_at,
            coalesce((select json_agg(json_build_object('scope', s.name, 'priority', l.priority) order by l.priority desc, s.name)
                        from scope_worker_pools l join scopes s on s.id = l.scope_id
                       where l.worker_pool_id = p.id), '[]') as scopes,
            (select count(*)::int from workers w where w.worker_pool_id = p.id) as total,
            (select count(*)::int from workers w where w.worker_pool_id = p.id and w.instance_created_at is not null) as running,
            coalesce((select json_object_agg(i.image_id, i.n)
                        from (select w.image_id, count(*)::int as n from workers w
                               where w.worker_pool_id = p.id and w.instance_created_at is not null and w.image_id is not null
                               group by w.image_id) i), '{}') as live_images
       from worker_pools p join provider_accounts a on a.id = p.provider_account_id
      where $1::text is null or p.name = $1::text
      order by p.name`,
    { bind: [name ?? null], type: QueryTypes.SELECT, transaction },
  );
  return rows.map((r) => ({
    name: r.name,
    providerAccount: r.account,
    providerType: r.provider_type,
    enabled: r.enabled,
    architectures: r.architectures,
    tags: r.tags,
    specifications: r.specifications,
    image: poolImage(r.specifications),
    instanceWide: r.instance_wide,
    ephemeral: r.ephemeral,
    limits: workerPoolLimitsSchema.parse(r.limits),
    registeredAt: r.registered_at.toISOString(),
    scopes: r.scopes,
    workers: { total: r.total, running: r.running, outdatedImage: outdatedInstances(r.live_images, poolImage(r.specifications)) },
  }));
}

