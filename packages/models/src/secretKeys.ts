import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The keys that seal provider credentials at rest (AES-256-GCM). A key file holds one key per
 * line, base64 (or hex) of 32 random bytes; `#` lines are comments. The first key seals; every
 * key opens what it sealed, so a rotation can add a new key above the old one, re-seal
 * (`account rotate-key`), and only then drop the old line.
 */

export const SECRET_KEY_FILE_ENV = 'BUILDFLEET_SECRET_KEY_FILE';

/** The key file the embedded PostgreSQL uses, beside its data directory. */
export const EMBEDDED_KEY_FILE_NAME = 'secret.key';

const ENVELOPE = 'bf1';

/** A key is missing, unreadable, malformed, or not the one a value was sealed with. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

interface Key {
  id: string;
  bytes: Buffer;
}

export interface SecretKeys {
  /** The key file, or null when none is configured (then sealing and opening throw). */
  readonly file: string | null;
  /** The id of the key that seals (a hash prefix; never the key). */
  currentKeyId(): string;
  /** `value` as JSON, encrypted and authenticated together with `context` (say, the account name). */
  seal(value: unknown, context: string): string;
  /** What `seal` sealed with the same `context`, with any key of the file. */
  open(sealed: string, context: string): unknown;
  /** The id of the key `sealed` was sealed with. */
  keyIdOf(sealed: string): string;
}

function keyId(bytes: Buffer): string {
  return createHash('sha256').update('buildfleet secret key id\0').update(bytes).digest('hex').slice(0, 16);
}

function parseKeyFile(file: string, text: string): Key[] {
  const keys = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line, index) => {
      const bytes = /^[0-9a-f]{64}$/i.test(line) ? Buffer.from(line, 'hex') : Buffer.from(line, 'base64');
      if (bytes.length !== 32 || (!/^[0-9a-f]{64}$/i.test(line) && bytes.toString('base64') !== line)) {
        throw new SecretKeyError(
          `${SECRET_KEY_FILE_ENV} (${file}): key ${index + 1} is not 32 bytes in base64 or hex; create one with \`head -c 32 /dev/urandom | base64\``,
        );
      }
      return { id: keyId(bytes), bytes };
    });
  if (!keys.length) throw new SecretKeyError(`${SECRET_KEY_FILE_ENV} (${file}): the file holds no key; put one in with \`head -c 32 /dev/urandom | base64 > ${file}\``);
  return keys;
}

/** A new key, as a line of a key file. */
export function generateKeyLine(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The keys of `file`, read on first use (so commands that never touch credentials never need
 * them), and again when a value names a key not yet read (another process rotated).
 */
export function secretKeysFromFile(file: string): SecretKeys {
  let keys: Key[] | undefined;
  const load = () => {
    if (keys) return keys;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new SecretKeyError(`${SECRET_KEY_FILE_ENV}: cannot read the key file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    keys = parseKeyFile(file, text);
    return keys;
  };
  return {
    file,
    currentKeyId: () => load()[0]!.id,
    seal(value, context) {
      const key = load()[0]!;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key.bytes, iv).setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return [ENVELOPE, key.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const [envelope, id, iv, tag, data] = sealed.split('.');
      if (envelope !== ENVELOPE || data === undefined) throw new SecretKeyError(`${context}: the stored credentials are not sealed by buildfleet`);
      // Another process may have put a new key into the file (a rotation): read it again once.
      const key = load().find((k) => k.id === id) ?? ((keys = undefined), load().find((k) => k.id === id));
      if (!key) {
        throw new SecretKeyError(
          `${context}: the credentials were sealed with key ${id}, which ${file} does not hold (its keys: ${load()
            .map((k) => k.id)
            .join(', ')}); put that key back into the file, or create the account again`,
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv!, 'base64url')).setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
        return JSON.parse(Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8'));
      } catch {
        throw new SecretKeyError(`${context}: the stored credentials fail authentication with key ${id}; they were altered or belong to another account`);
      }
    },
    keyIdOf: (sealed) => sealed.split('.')[1] ?? '',
  };
}

/** No key configured: every use says how to configure one. */
export function noSecretKeys(): SecretKeys {
  const missing = (): never => {
    throw new SecretKeyError(
      `provider credentials are stored encrypted, and no key is configured: set ${SECRET_KEY_FILE_ENV} to a file holding a key ` +
        '(create one with `head -c 32 /dev/urandom | base64 > /etc/buildfleet/secret.key && chmod 600 /etc/buildfleet/secret.key`), ' +
        'the same file for every process sharing this database',
    );
  };
  return { file: null, currentKeyId: missing, seal: missing, open: missing, keyIdOf: (sealed) => sealed.split('.')[1] ?? '' };
}

/**
 * The keys for a database: `BUILDFLEET_SECRET_KEY_FILE` (or `keyFile`) when set; else, for the
 * embedded PostgreSQL, `secret.key` beside its data directory, generated on first use; else
 * (a `DATABASE_URL` and no key file) none, and reading or writing credentials fails, naming
 * the variable to set.
 */
export function resolveSecretKeys({ keyFile, embeddedDataDir }: { keyFile?: string; embeddedDataDir?: string } = {}): SecretKeys {
  const configured = keyFile ?? process.env[SECRET_KEY_FILE_ENV];
  if (configured) return secretKeysFromFile(configured);
  if (!embeddedDataDir) return noSecretKeys();
  const file = join(dirname(embeddedDataDir), EMBEDDED_KEY_FILE_NAME);
  try {
    writeFileSync(file, `${generateKeyLine()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return secretKeysFromFile(file);
}

/** Puts a new key first in `file`, keeping the older ones below it to open what they sealed. */
export function prependNewKey(file: string): void {
  const old = readFileSync(file, 'utf8');
  const next = `${file}.new`;
  writeFileSync(next, `${generateKeyLine()}\n${old}`, { mode: 0o600 });
  renameSync(next, file);
}

/** What an account's sealed credentials are bound to: moved to another account, they fail to open. */
export function accountCredentialsContext(accountName: string): string {
  return `provider account "${accountName}"`;
}
