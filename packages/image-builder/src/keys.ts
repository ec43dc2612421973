import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FieldIssue, ValidationError } from '@buildfleet/models';
import { parseSource } from './deb822';

/** What gpg reported for one embedded `Signed-By` key. */
export interface EmbeddedKeyReport {
  /** Stanza position, from 1. */
  stanza: number;
  /** Primary key fingerprint. */
  fingerprint: string;
  /** User ids on the key, as gpg prints them. */
  userIds: string[];
  /** ISO date the primary key expires, or null if it does not. */
  expires: string | null;
}

export interface CheckSourceKeysOptions {
  /** Expiry is judged against this instant. (Default: now) */
  now?: Date;
  /** gpg executable. (Default: "gpg" on PATH) */
  gpg?: string;
}

/**
 * Parses every key embedded in the source's `Signed-By` fields with `gpg --show-keys` in a
 * throwaway GNUPGHOME and rejects keys gpg cannot read, revoked keys, and keys without an
 * unexpired signing-capable (sub)key. Problems of all stanzas are thrown at once.
 */
export async function checkSourceKeys(source: string, options: CheckSourceKeysOptions = {}): Promise<EmbeddedKeyReport[]> {
  const now = options.now ?? new Date();
  const stanzas = parseSource(source).stanzas;
  const issues: FieldIssue[] = [];
  const reports: EmbeddedKeyReport[] = [];
  const home = await mkdtemp(join(tmpdir(), 'buildfleet-gnupg-'));
  try {
    for (const stanza of stanzas) {
      if (stanza.signedBy.kind !== 'embedded') continue;
      const field = `stanza ${stanza.index} (line ${stanza.line}) Signed-By`;
      const keyFile = join(home, `stanza-${stanza.index}.asc`);
      await writeFile(keyFile, stanza.signedBy.armoredKey, { mode: 0o600 });
      const result = await run(options.gpg ?? 'gpg', ['--batch', '--no-tty', '--no-autostart', '--with-colons', '--fixed-list-mode', '--show-keys', keyFile], {
        ...process.env,
        GNUPGHOME: home,
      });
      const verdict = judgeKey(result, now);
      if ('problem' in verdict) issues.push({ field, message: verdict.problem });
      else reports.push({ stanza: stanza.index, ...verdict });
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  if (issues.length > 0) throw new ValidationError('source (deb822 APT source) keys', issues);
  return reports;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: Error;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (spawnError) => resolve({ code: null, stdout, stderr, spawnError }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Verdict = Omit<EmbeddedKeyReport, 'stanza'> | { problem: string };

/** Reads `--with-colons` output (doc/DETAILS in GnuPG): pub/sub records, then fpr and uid. */
function judgeKey(result: RunResult, now: Date): Verdict {
  if (result.spawnError) return { problem: `cannot run gpg to check the embedded key (${result.spawnError.message}); install gnupg` };
  const records = result.stdout.split('\n').map((line) => line.split(':'));
  const pubs = records.filter((r) => r[0] === 'pub');
  if (result.code !== 0 || pubs.length === 0) {
    const lines = result.stderr.split('\n').filter((l) => l.trim());
    const reason = lines.find((l) => /error|fail|invalid|no valid/i.test(l)) ?? lines.at(-1) ?? 'no public key found';
    return { problem: `gpg cannot read the embedded key (corrupted or truncated?): ${reason.replace(/^gpg: /, '')}; paste the exported key again` };
  }
  if (pubs.length > 1) return { problem: 'the embedded block holds several keys; embed only the repository signing key' };

  const nowSeconds = now.getTime() / 1000;
  const keys = records.filter((r) => r[0] === 'pub' || r[0] === 'sub');
  const usable = (r: string[]) => r[1] !== 'r' && r[1] !== 'e' && !(r[6] && Number(r[6]) <= nowSeconds);
  const primary = pubs[0]!;
  const expiresAt = primary[6] ? new Date(Number(primary[6]) * 1000) : null;
  const fingerprint = records.find((r) => r[0] === 'fpr')?.[9] ?? '';
  if (primary[1] === 'r') return { problem: `key ${fingerprint} is revoked; ask the repository owner for its current key` };
  if (!usable(primary)) {
    return { problem: `key ${fingerprint} expired on ${expiresAt?.toISOString().slice(0, 10) ?? 'an unknown date'}; embed a key with a current expiry date` };
  }
  if (!keys.some((r) => usable(r) && (r[11] ?? '').includes('s'))) {
    return { problem: `key ${fingerprint} has no unexpired signing-capable key; embed the repository's current signing key` };
  }
  return {
    fingerprint,
    userIds: records.filter((r) => r[0] === 'uid').map((r) => r[9] ?? ''),
    expires: expiresAt ? expiresAt.toISOString() : null,
  };
}
