import { poolCapabilities, type WorkerPoolSpecification } from '../src';

const hetzner = { provider_type: 'hetzner', server_type: 'cx42', image_name: 'debian-13' } as WorkerPoolSpecification;

it('gives a Hetzner pool the sizes of its server type', () => {
  expect(poolCapabilities({ tags: [], architectures: ['amd64'], specifications: hetzner }).numericTags).toEqual({
    cpus: 8,
    memory_gib: 16,
    disk_gib: 160,
  });
});

it('knows the current CX server types as well as the deprecated ones', () => {
  const spec = { ...hetzner, server_type: 'cx23' } as WorkerPoolSpecification;
  expect(poolCapabilities({ tags: [], architectures: ['amd64'], specifications: spec }).numericTags).toEqual({
    cpus: 2,
    memory_gib: 4,
    disk_gib: 40,
  });
});

it.each(['constructor', 'toString', 'cx99'])('guarantees no size for a server type it does not know, such as %j', (serverType) => {
  const spec = { ...hetzner, server_type: serverType } as WorkerPoolSpecification;
  expect(poolCapabilities({ tags: [], architectures: ['amd64'], specifications: spec }).numericTags).toEqual({});
});

it('gives an EC2 pool only the minimums every launch template guarantees', () => {
  const spec = {
    provider_type: 'aws',
    launch_templates: [
      { ImageId: 'ami-1', InstanceRequirements: { VCpuCount: { Min: 4 }, MemoryMiB: { Min: 16384 } }, root_device_size: 100 },
      { ImageId: 'ami-1', InstanceRequirements: { VCpuCount: { Min: 8 }, MemoryMiB: { Min: 8192 } } },
    ],
  } as unknown as WorkerPoolSpecification;
  expect(poolCapabilities({ tags: [], architectures: ['amd64'], specifications: spec }).numericTags).toEqual({
    cpus: 4,
    memory_gib: 8,
  });
});

it('lets declared numeric tags override the specification, and adds architecture tags', () => {
  const caps = poolCapabilities({ tags: ['memory_gib=15', 'site:paris'], architectures: ['amd64', 'i386'], specifications: hetzner });
  expect(caps.numericTags.memory_gib).toBe(15);
  expect(caps.workerTags).toEqual(['site:paris']);
  expect(caps.capabilityTags).toEqual(['arch:amd64', 'arch:i386', 'available:*', 'executor:*', 'site:paris', 'task:*', 'worker-type:external']);
});

it('stops assuming reported capabilities in a namespace the pool declares', () => {
  const caps = poolCapabilities({ tags: ['task:sbuild'], architectures: ['amd64'], specifications: hetzner });
  expect(caps.capabilityTags).toEqual(['arch:amd64', 'available:*', 'executor:*', 'task:sbuild', 'worker-type:external']);
});
