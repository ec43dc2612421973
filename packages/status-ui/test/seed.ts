import {
  type Database,
  generateTokenKey,
  hashTokenKey,
  linkScopePool,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
  type WorkerType,
} from '@buildfleet/models';

/** Text that must come out escaped wherever it is shown. */
export const XSS = '<script>alert(1)</script>';

/** Things that must never appear on any page or JSON answer, for any viewer. */
export const ACCOUNT_NAME = 'acct-Zq7-never-shown';
export const AWS_ACCESS_KEY_ID = 'AKIAZQ7NEVERSHOWN001';
export const AWS_SECRET_ACCESS_KEY = 'zQ7/neverShownSecretAccessKey+0001';
export const HETZNER_ACCOUNT_NAME = 'hetzner-Zq7-never-shown';
export const HETZNER_API_TOKEN = 'hcloud-zq7-never-shown-token-abcdef0123';

export interface SeededWorker {
  name: string;
  /** Raw token keys; only their sha256 is stored. */
  keys: string[];
}

export interface WorkerSeed {
  name: string;
  type?: WorkerType;
  pool?: string;
  /** Token state: enabled, disabled, or only an activation token (a stopped or booting pool worker). */
  token?: 'enabled' | 'disabled' | 'activation' | 'none';
  lastSeenAt?: Date | null;
  connectedAt?: Date | null;
  instanceCreatedAt?: Date | null;
  tags?: string[];
  numericTags?: Record<string, number>;
  staticMetadata?: Record<string, unknown>;
  dynamicMetadata?: Record<string, unknown>;
  workerPoolData?: Record<string, unknown> | null;
  /** The image its instance was launched from. */
  imageId?: string;
  /** Draining since then, for that reason (the provisioner's). */
  draining?: { since: Date; reason: string };
}

export async function createWorker(db: Database, seed: WorkerSeed): Promise<SeededWorker> {
  const { Token, Worker, WorkerPool } = db.models;
  const keys: string[] = [];
  const token = async (enabled: boolean, lastSeenAt: Date | null = null) => {
    const key = generateTokenKey();
    keys.push(key);
    return Token.create({ hash: hashTokenKey(key), userName: null, expireAt: null, enabled, lastSeenAt });
  };
  const mode = seed.token ?? (seed.type === 'celery' ? 'none' : 'enabled');
  const main = mode === 'enabled' || mode === 'disabled' ? await token(mode === 'enabled', seed.lastSeenAt ?? null) : null;
  const activation = mode === 'activation' ? await token(true) : null;
  const pool = seed.pool ? await WorkerPool.findOne({ where: { name: seed.pool } }) : null;
  const worker = await Worker.create({
    name: seed.name,
    workerType: seed.type ?? 'external',
    tokenId: main?.id ?? null,
    activationTokenId: activation?.id ?? null,
    workerPoolId: pool?.id ?? null,
    instanceCreatedAt: seed.instanceCreatedAt ?? null,
    tags: seed.tags ?? [],
    numericTags: seed.numericTags ?? {},
    staticMetadata: seed.staticMetadata ?? {},
    dynamicMetadata: seed.dynamicMetadata ?? {},
    dynamicMetadataUpdatedAt: seed.dynamicMetadata ? new Date() : null,
    workerPoolData: seed.workerPoolData ?? null,
    imageId: seed.imageId ?? null,
    drainingSince: seed.draining?.since ?? null,
    drainingReason: seed.draining?.reason ?? null,
  });
  if (seed.connectedAt) {
    // A session with a live lease, as a serving process would hold.
    await db.sequelize.query(
      `insert into worker_sessions (worker_id, process_id, connected_at, expires_at)
       values ($1::bigint, gen_random_uuid(), $2::timestamptz, now() + interval '1 hour')`,
      { bind: [worker.id, seed.connectedAt] },
    );
  }
  return { name: seed.name, keys };
}

export async function createWorkRequest(
  db: Database,
  fields: { scope: string; task: string; status: 'pending' | 'running' | 'completed' | 'blocked'; worker?: string; createdAt?: Date; result?: 'success' | 'failure' | '' },
): Promise<string> {
  const scope = await db.models.Scope.findOne({ where: { name: fields.scope } });
  const worker = fields.worker ? await db.models.Worker.findOne({ where: { name: fields.worker } }) : null;
  // Requirement sets as the scheduler stores them; the queue groups by them.
  const tags = [`task:${fields.task}`, 'worker-type:external'];
  const [[set]] = (await db.sequelize.query(
    `insert into requirement_sets (key, tags) values ($1, $2::text[])
     on conflict (key) do update set key = excluded.key returning id`,
    { bind: [tags.join(' '), tags] },
  )) as [[{ id: string }], unknown];
  const row = await db.models.WorkRequest.create({
    requirementSetId: set.id,
    scopeId: scope!.id,
    taskName: fields.task,
    status: fields.status,
    result: fields.result ?? (fields.status === 'completed' ? 'success' : ''),
    workerId: worker?.id ?? null,
    createdAt: fields.createdAt ?? new Date(),
    startedAt: fields.status === 'running' || fields.status === 'completed' ? new Date() : null,
    completedAt: fields.status === 'completed' ? new Date() : null,
  });
  return String(row.id);
}

const minutesAgo = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000);

export interface Fleet {
  workers: Record<string, SeededWorker>;
  runningOnSigner: string;
  runningOnPoolWorker: string;
  /** Every raw key and stored hash of every token. */
  tokenSecrets: string[];
}

/**
 * A small fleet with every state: static workers (idle, disabled, running), a signing worker,
 * pool workers (running, disconnected, stopped), a Celery worker, two provider accounts with
 * known credentials, and text meant to break out of HTML in tags, metadata and specifications.
 */
export async function seedFleet(db: Database, now = new Date()): Promise<Fleet> {
  await upsertScope(db, { name: 'debian', label: `Debian ${XSS}` });
  await upsertScope(db, { name: 'kali', label: 'Kali' });
  await upsertProviderAccount(db, {
    name: ACCOUNT_NAME,
    provider_type: 'aws',
    configuration: { region_name: 'eu-west-1' },
    credentials: { access_key_id: AWS_ACCESS_KEY_ID, secret_access_key: AWS_SECRET_ACCESS_KEY },
  });
  await upsertProviderAccount(db, {
    name: HETZNER_ACCOUNT_NAME,
    provider_type: 'hetzner',
    configuration: { region_name: 'fsn1' },
    credentials: { api_token: HETZNER_API_TOKEN },
  });
  await upsertWorkerPool(db, {
    name: 'aws-amd64',
    providerAccount: ACCOUNT_NAME,
    architectures: ['amd64', 'i386'],
    tags: ['executor:unshare', 'memory_gib=16'],
    specifications: {
      provider_type: 'aws',
      launch_templates: [{ ImageId: 'ami-0123456789abcdef0', InstanceType: 'm6a.large' }],
    },
    limits: { max_active_instances: 2, target_max_seconds_per_month: 36_000 },
  });
  await upsertWorkerPool(db, {
    name: 'hetzner-arm',
    providerAccount: HETZNER_ACCOUNT_NAME,
    architectures: ['arm64'],
    enabled: false,
    specifications: { provider_type: 'hetzner', server_type: 'cax21', image_name: 'debian-13', labels: { note: XSS } },
  });
  await linkScopePool(db, { scope: 'debian', pool: 'aws-amd64', priority: 10 });
  await linkScopePool(db, { scope: 'kali', pool: 'aws-amd64', priority: 1 });

  const seeds: WorkerSeed[] = [
    {
      name: 'static-idle',
      lastSeenAt: minutesAgo(now, 3),
      connectedAt: minutesAgo(now, 60),
      tags: ['executor:unshare', XSS],
      numericTags: { memory_gib: 32 },
      staticMetadata: { 'system:host_architecture': 'amd64', note: XSS },
      dynamicMetadata: { 'system:host_architecture': 'i386', 'system:cpu_count': 8 },
    },
    { name: 'static-disabled', token: 'disabled', lastSeenAt: minutesAgo(now, 600) },
    { name: 'signer', type: 'signing', lastSeenAt: minutesAgo(now, 1), connectedAt: minutesAgo(now, 30) },
    {
      name: 'aws-amd64-001',
      pool: 'aws-amd64',
      lastSeenAt: minutesAgo(now, 0.2),
      connectedAt: minutesAgo(now, 50),
      instanceCreatedAt: minutesAgo(now, 55),
      workerPoolData: { instance_id: 'i-0abc123def4567890' },
      imageId: 'ami-0123456789abcdef0',
    },
    { name: 'aws-amd64-002', pool: 'aws-amd64', lastSeenAt: minutesAgo(now, 2), instanceCreatedAt: minutesAgo(now, 4), imageId: 'ami-0old',
      draining: { since: minutesAgo(now, 1), reason: 'DrainOverBudget' } },
    { name: 'aws-amd64-003', pool: 'aws-amd64', token: 'disabled', lastSeenAt: minutesAgo(now, 2000) },
    { name: 'hetzner-arm-001', pool: 'hetzner-arm', token: 'activation' },
    { name: 'celery', type: 'celery', connectedAt: now },
  ];
  const workers: Record<string, SeededWorker> = {};
  for (const seed of seeds) workers[seed.name] = await createWorker(db, seed);

  const runningOnSigner = await createWorkRequest(db, { scope: 'debian', task: 'debsign', status: 'running', worker: 'signer' });
  const runningOnPoolWorker = await createWorkRequest(db, {
    scope: 'debian',
    task: 'sbuild',
    status: 'running',
    worker: 'aws-amd64-001',
  });
  for (let i = 0; i < 12; i++) {
    await createWorkRequest(db, {
      scope: i % 2 ? 'kali' : 'debian',
      task: 'sbuild',
      status: 'completed',
      worker: 'aws-amd64-001',
      createdAt: minutesAgo(now, 100 + i),
      result: i % 5 ? 'success' : 'failure',
    });
  }
  await createWorkRequest(db, { scope: 'debian', task: 'sbuild', status: 'pending', createdAt: minutesAgo(now, 30) });
  await createWorkRequest(db, { scope: 'debian', task: 'sbuild', status: 'pending', createdAt: minutesAgo(now, 5) });
  await createWorkRequest(db, { scope: 'kali', task: 'autopkgtest', status: 'pending', createdAt: minutesAgo(now, 12) });

  const tokens = await db.models.Token.findAll();
  return {
    workers,
    runningOnSigner,
    runningOnPoolWorker,
    tokenSecrets: [...Object.values(workers).flatMap((w) => w.keys), ...tokens.map((t) => t.hash)],
  };
}

export interface SeededSample {
  at: Date;
  pending: number;
  liveInstances: number;
  secondsThisMonth: number;
}

/**
 * What the provisioner's tick would have recorded for `pool`: a sample every 30 minutes over
 * the day before `now` (48, with one spike of 12 pending), plus one from 25 hours ago and one
 * from the future that a day's chart must leave out. Returns the 48 of the day, oldest first.
 */
export async function seedPoolSamples(db: Database, pool: string, now: Date): Promise<SeededSample[]> {
  const day: SeededSample[] = [];
  let seconds = 50_000;
  for (let i = 47; i >= 0; i--) {
    const liveInstances = Math.min(2, Math.floor((47 - i) / 8));
    seconds += liveInstances * 1800;
    day.push({ at: minutesAgo(now, i * 30), pending: i === 17 ? 12 : [0, 2, 5, 3, 1][i % 5]!, liveInstances, secondsThisMonth: seconds });
  }
  const outside = [
    { at: minutesAgo(now, 25 * 60), pending: 99, liveInstances: 9, secondsThisMonth: 1 },
    { at: minutesAgo(now, -10), pending: 77, liveInstances: 7, secondsThisMonth: 999_999 },
  ];
  await db.sequelize.query(
    `insert into worker_pool_samples (worker_pool_id, sampled_at, pending, live_instances, seconds_this_month)
     select p.id, s.at, s.pending, s.live, s.seconds
       from worker_pools p, unnest($2::timestamptz[], $3::integer[], $4::integer[], $5::double precision[]) as s(at, pending, live, seconds)
      where p.name = $1::text`,
    {
      bind: [
        pool,
        [...day, ...outside].map((s) => s.at),
        [...day, ...outside].map((s) => s.pending),
        [...day, ...outside].map((s) => s.liveInstances),
        [...day, ...outside].map((s) => s.secondsThisMonth),
      ],
    },
  );
  return day;
}
