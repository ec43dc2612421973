import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new token key: 32 random bytes as hex, as Debusine makes them. Shown once, never stored. */
export function generateTokenKey(): string {
  return randomBytes(32).toString('hex');
}

/** The sha256 hex digest stored in `tokens.hash` for a key. */
export function hashTokenKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function tokenHashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
