import { type WorkerPoolSpecification } from './schemas/specifications';
import { HETZNER_SERVER_TYPES } from './hetzner-server-types';
import { ownValue } from './own';
import { parseTags } from './tags';

/**
 * What a pool's instances are known to offer, from what the admin declared and what the
 * specification guarantees. The scheduler matches requirement sets against these columns
 * with the same SQL it uses for workers.
 */
export interface PoolCapabilities {
  /** Plain tags every worker of the pool gets (declared by the admin). */
  workerTags: string[];
  /**
   * Tags pool matching uses: the declared ones, `arch:<a>` per architecture, `worker-type:external`
   * (pool instances run debusine-worker), and `<ns>:*` for
   * capability namespaces the worker reports itself (`task`, `executor`) that the pool does
   * not declare, meaning "assumed present until the pool narrows it".
   */
  capabilityTags: string[];
  /** Declared numeric tags, else sizes the specification guarantees (cpus, memory_gib, disk_gib). */
  numericTags: Record<string, number>;
}

/** Namespaces a booted worker reports on its own; a pool may leave them undeclared. */
export const REPORTED_NAMESPACES = ['task', 'executor', 'available'] as const;

export function poolCapabilities(pool: {
  tags: string[];
  architectures: string[];
  specifications: WorkerPoolSpecification;
}): PoolCapabilities {
  const declared = parseTags(pool.tags, 'tags', 'worker pool');
  const wildcards = REPORTED_NAMESPACES.filter((ns) => !declared.plain.some((t) => t.startsWith(`${ns}:`))).map(
    (ns) => `${ns}:*`,
  );
  return {
    workerTags: declared.plain,
    capabilityTags: [
      ...new Set([...declared.plain, ...pool.architectures.map((a) => `arch:${a}`), ...wildcards, 'worker-type:external']),
    ].sort(),
    numericTags: { ...specificationSizes(pool.specifications), ...declared.numeric },
  };
}

/** Sizes an instance of this specification is guaranteed to have. */
export function specificationSizes(spec: WorkerPoolSpecification): Record<string, number> {
  switch (spec.provider_type) {
    case 'hetzner': {
      const type = ownValue(HETZNER_SERVER_TYPES, spec.server_type);
      return type ? { cpus: type.cores, memory_gib: type.memoryGb, disk_gib: type.diskGb } : {};
    }
    case 'aws': {
      // The fleet may pick any template, so only what every template guarantees counts.
      const perTemplate = spec.launch_templates.map((t) => {
        const sizes: Record<string, number> = {};
        if (t.InstanceRequirements) {
          sizes.cpus = t.InstanceRequirements.VCpuCount.Min;
          sizes.memory_gib = Math.floor((t.InstanceRequirements.MemoryMiB.Min / 1024) * 10) / 10;
        }
        if (t.root_device_size) sizes.disk_gib = t.root_device_size;
        return sizes;
      });
      const keys = Object.keys(perTemplate[0] ?? {}).filter((k) => perTemplate.every((s) => k in s));
      return Object.fromEntries(keys.map((k) => [k, Math.min(...perTemplate.map((s) => s[k]!))]));
    }
    case 'dummy':
      return {};
  }
}
