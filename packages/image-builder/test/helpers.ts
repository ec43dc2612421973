import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@buildfleet/models';

const GOOD_STANZA: Record<string, string> = {
  Types: 'deb',
  URIs: 'https://deb.example.net/debusine',
  Suites: 'trixie',
  Components: 'main',
  'Signed-By': '/usr/share/keyrings/debian-archive-keyring.gpg',
};

/** One deb822 stanza: a valid default, with fields replaced or (undefined) removed. */
export function stanza(overrides: Record<string, string | undefined> = {}): string {
  return `${Object.entries({ ...GOOD_STANZA, ...overrides })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')}\n`;
}

/** An armored key as a deb822 multi-line value: one-space indent, empty lines as " .". */
export function embedKey(armored: string): string {
  return `\n${armored
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? ' .' : ` ${line}`))
    .join('\n')}`;
}

/** A real ed25519 signing key made by gpg in a throwaway GNUPGHOME, valid for one year. */
export function makeSigningKey(): string {
  const home = mkdtempSync(join(tmpdir(), 'buildfleet-test-gnupg-'));
  try {
    const gpg = (...args: string[]) => {
      const result = spawnSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
        env: { ...process.env, GNUPGHOME: home },
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`gpg ${args.join(' ')} failed (install gnupg?): ${result.stderr}`);
      return result.stdout;
    };
    gpg('--quick-gen-key', 'Buildfleet Test Repository <repo@example.invalid>', 'ed25519', 'sign', '1y');
    return gpg('--armor', '--export');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Flips characters in the middle of the key's base64 body, so its armor checksum fails. */
export function corruptKey(armored: string): string {
  const lines = armored.split('\n');
  const body = lines.findIndex((line, i) => i > 1 && line.length > 40);
  const line = lines[body]!;
  lines[body] = `${line.slice(0, 10)}${line[10] === 'A' ? 'B' : 'A'}${line[11] === 'A' ? 'B' : 'A'}${line.slice(12)}`;
  return lines.join('\n');
}

/** The ValidationError `fn` throws (fails the test if it throws anything else or nothing). */
export function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

/** A temporary output directory per test. */
export function useOutputDir(): { readonly path: string } {
  let path = '';
  beforeEach(async () => {
    path = await mkdtemp(join(tmpdir(), 'buildfleet-image-test-'));
  });
  afterEach(async () => {
    await rm(path, { recursive: true, force: true });
  });
  return {
    get path() {
      return path;
    },
  };
}
