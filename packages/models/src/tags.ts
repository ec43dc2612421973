import { ValidationError } from './validation';

/**
 * Worker tags, parsed in this one place.
 *
 * - A plain tag is a name of segments joined by ':' (`executor:unshare`, `arch:arm64`,
 *   `site:paris`). Segments use letters, digits and `_ . + -`.
 * - A numeric tag is `name=value` (`memory_gib=16`, `disk_gib=100`, `cpus=4`), the name in
 *   lower-case letters, digits and `_`, the value a non-negative number.
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
  if (!NUMBER.test(value)) {
    return { error: `"${trimmed}": the value after "=" must be a non-negative number, e.g. ${name}=16` };
  }
  return { kind: 'numeric', name, value: Number(value) };
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
    else if (tag.name in numeric && numeric[tag.name] !== tag.value) {
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
