import { z } from 'zod';
import { debianReleaseSchema, installSourceSchema, labelMap, nonNegativeInt, positiveInt } from './common';

/** Min/Max pair of EC2 `InstanceRequirements`; Max must not be below Min. */
const minMax = z
  .strictObject({ Min: nonNegativeInt, Max: nonNegativeInt.optional() })
  .refine((r) => r.Max === undefined || r.Max >= r.Min, { message: 'Max must be at least Min', path: ['Max'] });

const minMaxNumber = z
  .strictObject({ Min: z.number().min(0), Max: z.number().min(0).optional() })
  .refine((r) => r.Max === undefined || r.Max >= r.Min, { message: 'Max must be at least Min', path: ['Max'] });

export const awsInstanceRequirementsSchema = z
  .strictObject({
    VCpuCount: minMax,
    MemoryMiB: minMax,
    MemoryGiBPerVCpu: minMaxNumber.optional(),
    SpotMaxPricePercentageOverLowestPrice: nonNegativeInt.optional(),
    MaxSpotPriceAsPercentageOfOptimalOnDemandPrice: nonNegativeInt.optional(),
    BurstablePerformance: z.enum(['included', 'excluded', 'required']).default('excluded'),
  })
  .refine(
    (r) => r.SpotMaxPricePercentageOverLowestPrice === undefined || r.MaxSpotPriceAsPercentageOfOptimalOnDemandPrice === undefined,
    {
      message:
        'give at most one of SpotMaxPricePercentageOverLowestPrice and MaxSpotPriceAsPercentageOfOptimalOnDemandPrice',
      path: ['MaxSpotPriceAsPercentageOfOptimalOnDemandPrice'],
    },
  );

export const awsNetworkInterfaceSchema = z.strictObject({
  AssociatePublicIpAddress: z.boolean().optional(),
  DeleteOnTermination: z.boolean().default(true),
  DeviceIndex: nonNegativeInt.default(0),
  Ipv6AddressCount: nonNegativeInt.optional(),
  SubnetId: z.string().min(1).optional(),
  Groups: z
    .array(z.string().min(1))
    .optional()
    .transform((g) => (g && g.length ? g : undefined)),
});

export const awsLaunchTemplateSchema = z
  .strictObject({
    ImageId: z.string().min(1, 'give the AMI id, e.g. ami-0123456789abcdef0'),
    InstanceType: z.string().min(1).optional(),
    InstanceRequirements: awsInstanceRequirementsSchema.optional(),
    EbsOptimized: z.boolean().default(false),
    KeyName: z.string().min(1).optional(),
    NetworkInterfaces: z
      .array(awsNetworkInterfaceSchema)
      .optional()
      .transform((n) => (n && n.length ? n : undefined)),
    /** Root volume size in GiB. (Default: the AMI's) */
    root_device_size: positiveInt.optional(),
    /** Swap volume size in GiB, attached as /dev/xvdb. (Default: none) */
    swap_size: positiveInt.optional(),
    tags: labelMap.default({}),
  })
  .superRefine((template, ctx) => {
    const given = [template.InstanceType, template.InstanceRequirements].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given === 0 ? 'InstanceType' : 'InstanceRequirements'],
        message:
          given === 0
            ? 'give exactly one of InstanceType or InstanceRequirements (neither was given)'
            : 'give exactly one of InstanceType or InstanceRequirements (both were given)',
      });
    }
    const seen = new Set<number>();
    template.NetworkInterfaces?.forEach((nic, index) => {
      if (seen.has(nic.DeviceIndex)) {
        ctx.addIssue({
          code: 'custom',
          path: ['NetworkInterfaces', index, 'DeviceIndex'],
          message: `DeviceIndex ${nic.DeviceIndex} is used by another interface; each interface needs its own`,
        });
      }
      seen.add(nic.DeviceIndex);
    });
  });

export const awsSpecificationSchema = z
  .strictObject({
    provider_type: z.literal('aws'),
    launch_templates: z.array(awsLaunchTemplateSchema).min(1, 'give at least one launch template'),
    instance_market_type: z.enum(['spot', 'on-demand']).default('spot'),
    max_spot_price_per_hour: z.number().positive('must be more than 0').optional(),
    debian_release: debianReleaseSchema.optional(),
    debusine_install_source: installSourceSchema.default('release'),
  })
  .refine((s) => s.max_spot_price_per_hour === undefined || s.instance_market_type === 'spot', {
    message: 'max_spot_price_per_hour applies to spot instances only; remove it or set instance_market_type: spot',
    path: ['max_spot_price_per_hour'],
  })
  .superRefine((s, ctx) => {
    // A pool launches one image (see poolImage), whichever template the fleet picks.
    const first = s.launch_templates[0]?.ImageId;
    s.launch_templates.forEach((template, index) => {
      if (template.ImageId !== first) {
        ctx.addIssue({
          code: 'custom',
          path: ['launch_templates', index, 'ImageId'],
          message: `is ${template.ImageId} but launch_templates[0] names ${first}; a pool launches one image: give every template the same ImageId (\`pool update --image\` sets them all)`,
        });
      }
    });
  });

export const hetznerSpecificationSchema = z
  .strictObject({
    provider_type: z.literal('hetzner'),
    server_type: z.string().min(1, 'give a Hetzner server type, e.g. cx32'),
    image_name: z.string().min(1, 'give an image name (e.g. debian-13) or a snapshot id'),
    ssh_keys: z.array(z.string().min(1)).default([]),
    networks: z.array(z.string().min(1)).default([]),
    location: z.string().min(1).optional(),
    labels: labelMap.default({}),
    enable_ipv4: z.boolean().default(true),
    enable_ipv6: z.boolean().default(true),
    debian_release: debianReleaseSchema.optional(),
    debusine_install_source: installSourceSchema.default('release'),
  })
  .refine((s) => s.enable_ipv4 || s.enable_ipv6 || s.networks.length > 0, {
    message: 'an instance with neither public IPv4, public IPv6 nor a private network cannot reach the server',
    path: ['enable_ipv4'],
  });

export const dummySpecificationSchema = z.strictObject({
  provider_type: z.literal('dummy'),
  features: z.array(z.string()).default([]),
  /** Seconds between launch and the simulated worker connecting. (Default: 0) */
  boot_delay_seconds: nonNegativeInt.default(0),
  /** Share of launches that fail, from 0 to 1, for failure drills. (Default: 0) */
  failure_rate: z.number().min(0).max(1).default(0),
  /** A name for the image the simulated instances run, to rehearse image changes. (Default: none) */
  image: z.string().min(1).max(255).optional(),
});

export const specificationSchemas = {
  aws: awsSpecificationSchema,
  hetzner: hetznerSpecificationSchema,
  dummy: dummySpecificationSchema,
} as const;

export const workerPoolSpecificationSchema = z.discriminatedUnion('provider_type', [
  awsSpecificationSchema,
  hetznerSpecificationSchema,
  dummySpecificationSchema,
]);

export type AwsLaunchTemplate = z.output<typeof awsLaunchTemplateSchema>;
export type AwsSpecification = z.output<typeof awsSpecificationSchema>;
export type HetznerSpecification = z.output<typeof hetznerSpecificationSchema>;
export type DummySpecification = z.output<typeof dummySpecificationSchema>;
export type WorkerPoolSpecification = z.output<typeof workerPoolSpecificationSchema>;
