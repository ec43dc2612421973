/**
 * `record[key]` when `key` is the record's own key, else undefined: a name from input (a scope,
 * pool or server type called `constructor` or `toString`) never reads what every object
 * inherits from `Object.prototype`.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
