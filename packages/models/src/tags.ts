import { ValidationError } from './validation';

/**
 * Worker tags, parsed in this one place.
 *
 * - A plain tag is a name of segments joined by ':' (`executor:unshare`, `arch:arm64`,
 *   `site:paris`). Segments use letters, digits and `_ . + -`.
 * - A numeric tag is `name=value` (`memory_gib=16`, `disk_gib=100`, `cpus=4`), the name in
 *   lower-case letters, digits and `_`, the value a non-negative number of at most
 *   `NUMERIC_VALUE_MAX`. Requirement minimums (`memory_gib>=16`) follow the same rule.
 */
export type Tag = { kind: 'plain'; name: string } | { kind: 'numeric'; name: string; value: number };

/** Tags as the scheduler stores and matches them. */
export interface TagSet {
  plain: string[];
  numeric: Record<string, number>;
}

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*(?::[A-Za-z0-9_.+-]+)*$/;
const NUMERIC_NAME = /^[a-z][a-z0-9_]*$/;
const NUMBER = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/**
 * The largest value a numeric tag or minimum may have: far above any real size (a billion
 * GiB or CPUs), and small enough that every accepted value is a finite, exact JSON number.
 */
export const NUMERIC_VALUE_MAX = 1_000_000_000;

/** The number `value` (digits after `name=` or `name>=`), or why it is not an acceptable one. */
function numericValue(text: string, name: string, operator: '=' | '>=', value: string): number | { error: string } {
  if (!NUMBER.test(value)) {
    return { error: `"${text}": the value after "${operator}" must be a non-negative number, e.g. ${name}${operator}16` };
  }
  const number = Number(value);
  if (!(number <= NUMERIC_VALUE_MAX)) {
    return { error: `"${text}": the value after "${operator}" must be at most ${NUMERIC_VALUE_MAX}` };
  }
  return number;
}

/** Parses one tag, or returns why it is not one. */
export function parseTag(text: string): Tag | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { error: 'empty tag; give a name such as executor:unshare or a value such as memory_gib=16' };
  const eq = trimmed.indexOf('=');
  if (eq === -1) {
    return PLAIN.test(trimmed)
      ? { kind: 'plain', name: trimmed }
      : { error: `"${trimmed}" is not a tag name; use letters, digits, "_.+-", and ":" between parts` };
  }
  const name = trimmed.slice(0, eq);
  const value = trimmed.slice(eq + 1);
  if (!NUMERIC_NAME.test(name)) {
    return { error: `"${trimmed}": a numeric tag needs a lower-case name before "=", e.g. memory_gib=16` };
  }
  const number = numericValue(trimmed, name, '=', value);
  return typeof number === 'number' ? { kind: 'numeric', name, value: number } : number;
}

/** Parses a list of tags; throws a ValidationError naming `field[index]` for each bad one. */
export function parseTags(texts: readonly string[], field: string, subject = field): TagSet {
  const plain = new Set<string>();
  const numeric: Record<string, number> = {};
  const issues: { field: string; message: string }[] = [];
  texts.forEach((text, index) => {
    const tag = parseTag(text);
    if ('error' in tag) issues.push({ field: `${field}[${index}]`, message: tag.error });
    else if (tag.kind === 'plain') plain.add(tag.name);
    else if (Object.hasOwn(numeric, tag.name) && numeric[tag.name] !== tag.value) {
      issues.push({ field: `${field}[${index}]`, message: `"${tag.name}" is given twice with different values` });
    } else numeric[tag.name] = tag.value;
  });
  if (issues.length) throw new ValidationError(subject, issues);
  return { plain: [...plain].sort(), numeric };
}

/** The canonical text form of tags: plain names, then `name=value`, sorted. */
export function formatTags(tags: TagSet): string[] {
  return [
    ...[...tags.plain].sort(),
    ...Object.entries(tags.numeric)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}=${value}`),
  ];
}

/**
 * What a work request needs of its worker: plain tags it must have and numeric minimums.
 * Requirement strings are a plain tag (`site:paris`) or `name>=value` (`memory_gib>=16`).
 */
export interface Requirements {
  tags: string[];
  minimums: Record<string, number>;
}

/** Parses one requirement string, or returns why it is not one. */
export function parseRequirement(text: string): { tag: string } | { minimum: [string, number] } | { error: string } {
  const trimmed = text.trim();
  const example = 'a tag such as site:paris or a minimum such as memory_gib>=16';
  if (!trimmed) return { error: `empty requirement; give ${example}` };
  const ge = trimmed.indexOf('>=');
  if (ge === -1) {
    if (trimmed.includes('=')) return { error: `"${trimmed}": a requirement on a value is a minimum: write name>=value, e.g. memory_gib>=16` };
    const tag = parseTag(trimmed);
    return 'error' in tag ? { error: tag.error } : { tag: tag.name };
  }
  const name = trimmed.slice(0, ge).trim();
  const value = trimmed.slice(ge + 2).trim();
  if (!NUMERIC_NAME.test(name)) return { error: `"${trimmed}": a minimum needs a lower-case name before ">=", e.g. memory_gib>=16` };
  const number = numericValue(trimmed, name, '>=', value);
  return typeof number === 'number' ? { minimum: [name, number] } : number;
}

/** Parses requirement strings; throws a ValidationError naming `field[index]` for each bad one. */
export function parseRequirements(texts: readonly unknown[], field: string, subject = field): Requirements {
  const tags = new Set<string>();
  const minimums: Record<string, number> = {};
  const issues: { field: string; message: string }[] = [];
  texts.forEach((text, index) => {
    const parsed =
      typeof text === 'string'
        ? parseRequirement(text)
        : { error: 'must be a string such as "memory_gib>=16" or "site:paris"' };
    if ('error' in parsed) issues.push({ field: `${field}[${index}]`, message: parsed.error });
    else if ('tag' in parsed) tags.add(parsed.tag);
    else raiseMinimum(minimums, parsed.minimum[0], parsed.minimum[1]);
  });
  if (issues.length) throw new ValidationError(subject, issues);
  return { tags: [...tags].sort(), minimums: sortKeys(minimums) };
}

/** Merges requirement sets: the union of tags and the highest of each minimum. */
export function mergeRequirements(...sets: Requirements[]): Requirements {
  const minimums: Record<string, number> = {};
  for (const set of sets) {
    for (const [name, value] of Object.entries(set.minimums)) raiseMinimum(minimums, name, value);
  }
  return { tags: [...new Set(sets.flatMap((s) => s.tags))].sort(), minimums: sortKeys(minimums) };
}

/** The canonical text of a requirement set, which identifies it: `arch:amd64 task:sbuild memory_gib>=16`. */
export function requirementKey(requirements: Requirements): string {
  return [
    ...[...requirements.tags].sort(),
    ...Object.entries(requirements.minimums)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}>=${value}`),
  ].join(' ');
}

/** Sets `minimums[name]` to the higher of its own value (if any) and `value`; names such as `constructor` are plain keys. */
function raiseMinimum(minimums: Record<string, number>, name: string, value: number): void {
  const highest = Object.hasOwn(minimums, name) ? Math.max(minimums[name]!, value) : value;
  Object.defineProperty(minimums, name, { value: highest, enumerable: true, writable: true, configurable: true });
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
