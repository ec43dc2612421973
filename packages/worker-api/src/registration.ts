import { isIPv6 } from 'node:net';

/**
 * Limits on unauthenticated registration: a worker with no activation token registers as a
 * static worker whose token an admin must enable. Anyone who reaches the API can do that, so
 * it is rate-limited per client address and capped in workers waiting to be enabled.
 */
export interface SelfRegistrationOptions {
  /** Registrations one client address may make per hour (an IPv6 address counts by its /64). (Default: 10) */
  perAddressPerHour?: number;
  /** Static workers with a disabled token beyond which registration is refused until an admin acts. (Default: 50) */
  maxPendingWorkers?: number;
}

export const DEFAULT_SELF_REGISTRATION: Required<SelfRegistrationOptions> = { perAddressPerHour: 10, maxPendingWorkers: 50 };

const HOUR_MS = 3_600_000;
/** Addresses remembered at most; the oldest are forgotten first. The pending cap bounds the rest. */
const MAX_ADDRESSES = 10_000;

/**
 * A sliding one-hour window of attempts per client address, in this process's memory: with
 * several replicas an address may register once per replica more. The pending cap, kept in the
 * database, holds across all of them.
 */
export class AddressRateLimit {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly perHour: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt from `address`; returns 0 when it is allowed, else the milliseconds until one is. */
  take(address: string): number {
    const key = addressKey(address);
    const now = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((at) => at > now - HOUR_MS);
    if (recent.length >= this.perHour) {
      this.attempts.set(key, recent);
      return recent[0]! + HOUR_MS - now;
    }
    recent.push(now);
    this.attempts.delete(key); // re-inserted last: Map order is then least recently used first
    this.attempts.set(key, recent);
    if (this.attempts.size > MAX_ADDRESSES) this.attempts.delete(this.attempts.keys().next().value!);
    return 0;
  }
}

/** What an address is counted as: IPv4 as is, IPv6 by its /64 (one machine's usual share). */
export function addressKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = plain.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
