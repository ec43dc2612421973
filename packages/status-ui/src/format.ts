import { stringify } from 'yaml';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "just now", "3 min ago", "5 h ago", "2 days ago", "in 4 min": what a maintainer scans for. */
export function relativeTime(iso: string, now: Date): string {
  const seconds = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  const span = Math.abs(seconds);
  if (span < 45) return 'just now';
  let text: string;
  if (span < 45 * MINUTE) text = `${Math.max(1, Math.round(span / MINUTE))} min`;
  else if (span < 36 * HOUR) text = `${Math.round(span / HOUR)} h`;
  else if (span < 45 * DAY) text = plural(Math.round(span / DAY), 'day');
  else if (span < 548 * DAY) text = plural(Math.round(span / (30 * DAY)), 'month');
  else text = plural(Math.round(span / (365 * DAY)), 'year');
  return seconds < 0 ? `in ${text}` : `${text} ago`;
}

/** A value as block YAML, or an empty string for nothing/empty. */
export function toYaml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && Object.keys(value).length === 0) return '';
  return stringify(value, { sortMapEntries: false, lineWidth: 0 });
}

/** Sorted, comma-joined, or "none". */
export function joinSorted(values: readonly string[]): string {
  return values.length ? [...values].sort().join(', ') : 'none';
}
