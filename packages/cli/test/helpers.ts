import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerTagsFromMetadata } from '@buildfleet/scheduler';
import { useTestDatabase, withPgClient } from '@buildfleet/testdb';
import { runCommand } from '@oclif/test';
import { stringify } from 'yaml';
import { contractPath, errorContractPath, type JsonSchema } from './contract/generate';
import { validate } from './contract/validate';

/** The package root: oclif finds the commands (built, in dist/) through its package.json. */
export const PACKAGE_ROOT = join(__dirname, '..');

export interface CliOutcome<T> {
  stdout: string;
  stderr: string;
  /** What `run()` returned (success only). */
  result?: T;
  error?: Error;
  exitCode: number;
}

/** Runs `buildfleet ARGS` in-process. Arguments are split on spaces, as a shell would. */
export async function cli<T = unknown>(args: string): Promise<CliOutcome<T>> {
  const { stdout, stderr, result, error } = await runCommand<T>(args, { root: PACKAGE_ROOT });
  return { stdout, stderr, result, error, exitCode: error ? (error.oclif?.exit ?? 1) : 0 };
}

/**
 * Runs `buildfleet ARGS --json`, parses stdout, and checks it against the committed JSON schema
 * of that command's result (contract/), or of the error result when it failed with one.
 */
export async function cliJson<T = unknown>(args: string): Promise<CliOutcome<T> & { json: T }> {
  const outcome = await cli<T>(`${args} --json`);
  const json = JSON.parse(outcome.stdout) as T;
  const failed = outcome.exitCode !== 0 && typeof json === 'object' && json !== null && 'error' in json;
  const problems = validate(json, failed ? schemaAt(errorContractPath(PACKAGE_ROOT)) : resultSchemaOf(args));
  if (problems.length) {
    throw new Error(`buildfleet ${args} --json printed what its committed schema does not allow:\n  ${problems.join('\n  ')}`);
  }
  return { ...outcome, json };
}

function schemaAt(path: string): JsonSchema {
  return JSON.parse(readFileSync(path, 'utf8')) as JsonSchema;
}

/** The result schema of the command `args` starts with (`pool show x` → `pool:show`). */
function resultSchemaOf(args: string): JsonSchema {
  const words = args.split(' ').filter((w) => w && !w.startsWith('-'));
  for (let n = words.length; n > 0; n--) {
    const path = contractPath(PACKAGE_ROOT, words.slice(0, n).join(':'));
    if (existsSync(path)) return (schemaAt(path) as { result: JsonSchema }).result;
  }
  throw new Error(`no committed contract for \`buildfleet ${args}\`: run \`npm run contract:update\` in packages/cli`);
}

/**
 * Gives the test file its own migrated database and points the commands at it through
 * DATABASE_URL, as a user would. Also: SQL on that database, and YAML files to pass as flags.
 */
export function useCliDatabase() {
  const database = useTestDatabase();
  let dir = '';
  let files = 0;
  beforeAll(async () => {
    process.env.DATABASE_URL = database.url;
    dir = await mkdtemp(join(tmpdir(), 'buildfleet-cli-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get url() {
      return database.url;
    },
    async query<R = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<R[]> {
      return withPgClient(database.url, async (client) => (await client.query(sql, values)).rows as R[]);
    },
    async count(table: string): Promise<number> {
      const [row] = await this.query<{ n: number }>(`select count(*)::int as n from ${table}`);
      return row!.n;
    },
    /** Writes `content` (YAML text, or a value to serialise as YAML) to a file; returns its path. */
    async yamlFile(content: unknown): Promise<string> {
      const path = join(dir, `input-${++files}.yaml`);
      await writeFile(path, typeof content === 'string' ? content : stringify(content));
      return path;
    },
    /** Inserts a worker of `pool`, running when `running` (its instance_created_at set). */
    async insertWorker(name: string, pool: string, { running }: { running: boolean }): Promise<void> {
      const hash = createHash('sha256').update(randomBytes(16)).digest('hex');
      await this.query(
        `with token as (insert into tokens (hash, enabled) values ($1, true) returning id)
         insert into workers (name, token_id, worker_pool_id, instance_created_at)
         select $2, token.id, p.id, case when $4 then now() end from token, worker_pools p where p.name = $3`,
        [hash, name, pool, running],
      );
    },
    /**
     * Inserts a static worker (no pool) with an enabled token, connected now, reporting
     * `metadata`; its tags are those the scheduler derives from that metadata.
     */
    async insertConnectedWorker(name: string, metadata: Record<string, unknown>, { concurrency = 1 } = {}): Promise<void> {
      const hash = createHash('sha256').update(randomBytes(16)).digest('hex');
      const tags = workerTagsFromMetadata(metadata);
      await this.query(
        `with token as (insert into tokens (hash, enabled) values ($1, true) returning id),
         worker as (
           insert into workers (name, token_id, static_metadata, tags, numeric_tags, concurrency)
           select $2, token.id, $3::jsonb, $4::text[], $5::jsonb, $6 from token returning id
         )
         insert into worker_sessions (worker_id, process_id, expires_at)
         select id, gen_random_uuid(), now() + interval '1 hour' from worker`,
        [hash, name, JSON.stringify(metadata), tags.plain, JSON.stringify(tags.numeric), concurrency],
      );
    },
  };
}

/** Secret values seeded into accounts; no command output may contain any of them. */
export const SECRETS = {
  accessKeyId: 'AKIACLITESTSECRET0001',
  secretAccessKey: 'cli/Test+Secret/Access/Key/0001',
  hetznerToken: 'hcloud-cli-test-secret-token-0001',
};

export function awsAccount(overrides: Record<string, unknown> = {}) {
  return {
    name: 'aws-main',
    provider_type: 'aws',
    configuration: { region_name: 'eu-west-1' },
    credentials: { access_key_id: SECRETS.accessKeyId, secret_access_key: SECRETS.secretAccessKey },
    ...overrides,
  };
}

export function hetznerAccount(overrides: Record<string, unknown> = {}) {
  return { name: 'hetzner-main', provider_type: 'hetzner', credentials: { api_token: SECRETS.hetznerToken }, ...overrides };
}

export function awsLaunchTemplate(overrides: Record<string, unknown> = {}) {
  return { ImageId: 'ami-0123456789abcdef0', InstanceType: 'm6a.large', ...overrides };
}

export function awsSpecification(overrides: Record<string, unknown> = {}) {
  return { launch_templates: [awsLaunchTemplate()], ...overrides };
}

export function expectNoSecret(text: string): void {
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}
