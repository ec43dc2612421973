import { type WorkerPoolSpecification } from './schemas/specifications';
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
export const REPORTED_NAMESPACES = ['task', 'executor'] as const;

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
      const type = HETZNER_SERVER_TYPES[spec.server_type];
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

/**
 * Hetzner Cloud server types (shared and dedicated vCPU lines, 2025), as published by
 * Hetzner: cores, memory in GB, local disk in GB, architecture. Unknown types give no sizes.
 * cx22–cx52 and cpx11 are deprecated (end of 2025) in favour of cx23–cx53; both are listed so
 * existing pools keep their sizes.
 */
export const HETZNER_SERVER_TYPES: Record<
  string,
  { cores: number; memoryGb: number; diskGb: number; architecture: 'amd64' | 'arm64' }
> = {
  cx22: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'amd64' },
  cx32: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'amd64' },
  cx42: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'amd64' },
  cx52: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'amd64' },
  cx23: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'amd64' },
  cx33: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'amd64' },
  cx43: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'amd64' },
  cx53: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'amd64' },
  cpx11: { cores: 2, memoryGb: 2, diskGb: 40, architecture: 'amd64' },
  cpx21: { cores: 3, memoryGb: 4, diskGb: 80, architecture: 'amd64' },
  cpx31: { cores: 4, memoryGb: 8, diskGb: 160, architecture: 'amd64' },
  cpx41: { cores: 8, memoryGb: 16, diskGb: 240, architecture: 'amd64' },
  cpx51: { cores: 16, memoryGb: 32, diskGb: 360, architecture: 'amd64' },
  cax11: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'arm64' },
  cax21: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'arm64' },
  cax31: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'arm64' },
  cax41: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'arm64' },
  ccx13: { cores: 2, memoryGb: 8, diskGb: 80, architecture: 'amd64' },
  ccx23: { cores: 4, memoryGb: 16, diskGb: 160, architecture: 'amd64' },
  ccx33: { cores: 8, memoryGb: 32, diskGb: 240, architecture: 'amd64' },
  ccx43: { cores: 16, memoryGb: 64, diskGb: 360, architecture: 'amd64' },
  ccx53: { cores: 32, memoryGb: 128, diskGb: 600, architecture: 'amd64' },
  ccx63: { cores: 48, memoryGb: 192, diskGb: 960, architecture: 'amd64' },
};
