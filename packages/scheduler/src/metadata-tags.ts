import { NUMERIC_VALUE_MAX, parseTag, type TagSet } from '@buildfleet/models';

/**
 * The tags a worker reports, from its metadata (static overlaid on dynamic, as Debusine does):
 * - `arch:<a>` for each of `system:architectures` and for `system:host_architecture`;
 * - `worker-type:<t>` from `system:worker_type`;
 * - `executor:<backend>` when `executor:<backend>:available` is true;
 * - `task:<name>` for each `<name>:version` key, unless `<name>:available` is false, kept to
 *   `tasks_allowlist` when given, else minus `tasks_denylist`; `task:<type>:<name>` for
 *   `<type>:<name>:version` keys of other task types;
 * - numeric `cpus` from `system:cpu_count` and `memory_gib` from `system:total_physical_memory`,
 *   rounded to the nearest GiB (a "16 GiB" machine reports about 15.6 after the kernel's share);
 *   a value that is not a number from 0 to `NUMERIC_VALUE_MAX` counts as not reported, so it
 *   meets no minimum.
 */
export function workerTagsFromMetadata(metadata: Record<string, unknown>): TagSet {
  const plain = new Set<string>();
  const numeric: Record<string, number> = {};
  const add = (name: string) => {
    if (!('error' in parseTag(name))) plain.add(name);
  };
  for (const arch of stringList(metadata['system:architectures'])) add(`arch:${arch}`);
  if (typeof metadata['system:host_architecture'] === 'string') add(`arch:${metadata['system:host_architecture']}`);
  if (typeof metadata['system:worker_type'] === 'string') add(`worker-type:${metadata['system:worker_type']}`);
  const cpus = metadata['system:cpu_count'];
  if (isTagValue(cpus)) numeric.cpus = cpus;
  const memory = metadata['system:total_physical_memory'];
  const memoryGib = typeof memory === 'number' && memory >= 0 ? Math.round(memory / 2 ** 30) : undefined;
  if (isTagValue(memoryGib)) numeric.memory_gib = memoryGib;

  const allowlist = metadata.tasks_allowlist === undefined ? undefined : new Set(stringList(metadata.tasks_allowlist));
  const denylist = new Set(stringList(metadata.tasks_denylist));
  for (const [key, value] of Object.entries(metadata)) {
    const executor = /^executor:([^:]+):available$/.exec(key);
    if (executor && value === true) add(`executor:${executor[1]}`);
    const task = /^(?:([^:]+):)?([^:]+):version$/.exec(key);
    if (!task) continue;
    const [, type, name] = task;
    const prefix = type ? `${type}:${name}` : name!;
    if (metadata[`${prefix}:available`] === false) continue;
    if (!type && (allowlist ? !allowlist.has(name!) : denylist.has(name!))) continue;
    add(`task:${prefix}`);
  }
  return { plain: [...plain].sort(), numeric };
}

/** Static metadata wins over dynamic metadata, key by key (Debusine's `Worker.metadata()`). */
export function mergedMetadata(worker: {
  staticMetadata: Record<string, unknown>;
  dynamicMetadata: Record<string, unknown>;
}): Record<string, unknown> {
  return { ...worker.dynamicMetadata, ...worker.staticMetadata };
}

function isTagValue(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= NUMERIC_VALUE_MAX;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
