/**
 * The one rule for keeping secrets out of provider text. A provider may echo what it was sent
 * (a token in an error code, a key in a message, user data in `details`), upper- or lower-cased,
 * encoded or cut short; everything it returns in an error passes through a redactor built here
 * before it reaches a decision, a log line, CLI output or a page.
 */

export const REDACTED = '[redacted]';

/** Longest provider text kept in a message, code or detail value, after redaction. (1000) */
export const MAX_PROVIDER_TEXT = 1000;

/**
 * A secret without whitespace (a token, a key) is also found by any run of this many of its
 * characters, so a provider echoing a part of it ("token abcd1234efgh… is invalid") is caught.
 */
const FRAGMENT_LENGTH = 12;

/** Longer secrets (a whole user-data text, its encodings) are matched whole only. (256) */
const MAX_FRAGMENTED_LENGTH = 256;

export type Redact = (text: string) => string;

/** The forms of a secret a provider is known to echo: encoded as base64, base64url, %-escapes, hex. */
function encodedForms(secret: string): string[] {
  const forms = new Set<string>();
  for (const variant of [secret, secret.toLowerCase(), secret.toUpperCase()]) {
    const bytes = Buffer.from(variant, 'utf8');
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64').replace(/=+$/, ''));
    forms.add(bytes.toString('base64url'));
    forms.add(encodeURIComponent(variant));
    forms.add(bytes.toString('hex'));
    forms.add(JSON.stringify(variant).slice(1, -1));
  }
  forms.delete(secret);
  return [...forms];
}

/**
 * A function that replaces every given secret in a text, whatever its case, in its encoded
 * forms, and (for a secret without whitespace of at most 256 characters) any run of 12 or more
 * of its characters, then
 * caps the text at `maxLength`. Secrets shorter than 4 characters are ignored: they would match
 * ordinary words. Drivers build one from their credentials and the user data of the specs they
 * launch; `redactingDriver` builds one per account.
 */
export function makeRedactor(secrets: Iterable<string | undefined>, { maxLength = MAX_PROVIDER_TEXT } = {}): Redact {
  const whole = new Set<string>();
  const fragments = new Map<number, Set<string>>();
  const addFragments = (value: string) => {
    const size = Math.min(FRAGMENT_LENGTH, value.length);
    const set = fragments.get(size) ?? new Set<string>();
    for (let i = 0; i + size <= value.length; i++) set.add(value.slice(i, i + size));
    fragments.set(size, set);
  };
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of [secret, ...encodedForms(secret)]) {
      const lower = form.toLowerCase();
      if (/\s/.test(form) || form.length > MAX_FRAGMENTED_LENGTH) whole.add(lower);
      else addFragments(lower);
    }
  }
  const wholeList = [...whole].sort((a, b) => b.length - a.length);
  return (text) => {
    const lower = text.toLowerCase();
    const hidden = new Uint8Array(text.length);
    for (const needle of wholeList) {
      for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) hidden.fill(1, at, at + needle.length);
    }
    for (const [size, set] of fragments) {
      for (let i = 0; i + size <= lower.length; i++) {
        if (set.has(lower.slice(i, i + size))) hidden.fill(1, i, i + size);
      }
    }
    let out = '';
    for (let i = 0; i < text.length; i++) {
      if (!hidden[i]) out += text[i];
      else if (i === 0 || !hidden[i - 1]) out += REDACTED;
    }
    return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
  };
}

/**
 * What of a user-data text counts as secret: the whole text, each longer line and each longer
 * value after a `key:`, so that a provider echoing a fragment (say, the activation token) is
 * redacted too.
 */
export function userDataSecrets(userData: string): string[] {
  const fragments = userData.split('\n').flatMap((line) => {
    const trimmed = line.trim();
    const value = /^(?:-\s+)?[\w.-]+:\s*(.*)$/.exec(trimmed)?.[1] ?? '';
    return [trimmed, value.replace(/^["']|["']$/g, '')];
  });
  return [userData, ...fragments.filter((fragment) => fragment.length >= 16)];
}

/** Every string in a credentials object (nested values included): what a redactor must know. */
export function credentialSecrets(credentials: unknown): string[] {
  if (typeof credentials === 'string') return [credentials];
  if (Array.isArray(credentials)) return credentials.flatMap(credentialSecrets);
  if (credentials && typeof credentials === 'object') return Object.values(credentials).flatMap(credentialSecrets);
  return [];
}

/** Most keys and items of a `details` value kept; the rest are dropped. (50) */
const MAX_DETAIL_ENTRIES = 50;

/** A JSON-like value with every string (keys included) redacted, at most 5 levels and 50 entries deep. */
export function redactValue(value: unknown, redact: Redact, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (depth >= 5) return REDACTED;
  if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_ENTRIES).map((item) => redactValue(item, redact, depth + 1));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .slice(0, MAX_DETAIL_ENTRIES)
        .map(([key, item]) => [redact(key), redactValue(item, redact, depth + 1)]),
    );
  }
  return undefined;
}
