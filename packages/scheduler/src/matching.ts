import { REPORTED_NAMESPACES, type Requirements } from '@buildfleet/models';

const WILDCARDS = REPORTED_NAMESPACES.map((ns) => `${ns}:*`);

/**
 * `satisfiesSql` for data in memory (the replay simulator): whether something with `tags` and
 * `numeric` satisfies `requirements`. test/matching.test.ts proves the two agree on fixtures.
 */
export function satisfies(tags: ReadonlySet<string>, numeric: Readonly<Record<string, number>>, requirements: Requirements): boolean {
  const all = requirements.tags.every((t) => tags.has(t));
  const byWildcard =
    !all && WILDCARDS.some((w) => tags.has(w)) && requirements.tags.every((t) => tags.has(t) || tags.has(`${t.split(':')[0]}:*`));
  if (!all && !byWildcard) return false;
  return Object.entries(requirements.minimums).every(([name, value]) => (Object.hasOwn(numeric, name) ? numeric[name]! : -1) >= value);
}
