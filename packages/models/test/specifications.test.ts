import {
  awsSpecificationSchema,
  dummySpecificationSchema,
  hetznerSpecificationSchema,
  parseInput,
  providerAccountDataSchema,
  ValidationError,
  workerPoolLimitsSchema,
} from '../src';
import { awsAccountData, awsLaunchTemplate, awsSpecification, hetznerSpecification } from './fixtures';

function issuesOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('AWS specifications', () => {
  it('accepts a launch template with InstanceType and fills the documented defaults', () => {
    const spec = parseInput(awsSpecificationSchema, awsSpecification(), 'spec');
    expect(spec.instance_market_type).toBe('spot');
    expect(spec.debusine_install_source).toBe('release');
    expect(spec.launch_templates[0]).toMatchObject({ EbsOptimized: false, tags: {} });
  });

  it('accepts InstanceRequirements instead of InstanceType', () => {
    const template = awsLaunchTemplate({
      InstanceType: undefined,
      InstanceRequirements: { VCpuCount: { Min: 4 }, MemoryMiB: { Min: 16384 } },
    });
    const spec = parseInput(awsSpecificationSchema, awsSpecification({ launch_templates: [template] }), 'spec');
    expect(spec.launch_templates[0]!.InstanceRequirements?.BurstablePerformance).toBe('excluded');
  });

  it.each([
    [
      'both InstanceType and InstanceRequirements',
      { InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 } } },
      'launch_templates[0].InstanceRequirements',
      'exactly one of InstanceType or InstanceRequirements (both were given)',
    ],
    ['neither', { InstanceType: undefined }, 'launch_templates[0].InstanceType', '(neither was given)'],
    [
      'a duplicate DeviceIndex',
      { NetworkInterfaces: [{ DeviceIndex: 0 }, { SubnetId: 'subnet-1' }] },
      'launch_templates[0].NetworkInterfaces[1].DeviceIndex',
      'DeviceIndex 0 is used by another interface',
    ],
    ['a misspelled field', { InstanceTyp: 'm6a.large', InstanceType: undefined }, 'launch_templates[0].InstanceTyp', 'did you mean "InstanceType"?'],
    [
      'both spot price caps',
      {
        InstanceType: undefined,
        InstanceRequirements: {
          VCpuCount: { Min: 2 },
          MemoryMiB: { Min: 4096 },
          SpotMaxPricePercentageOverLowestPrice: 10,
          MaxSpotPriceAsPercentageOfOptimalOnDemandPrice: 50,
        },
      },
      'launch_templates[0].InstanceRequirements.MaxSpotPriceAsPercentageOfOptimalOnDemandPrice',
      'at most one of',
    ],
    [
      'a maximum below the minimum',
      { InstanceType: undefined, InstanceRequirements: { VCpuCount: { Min: 8, Max: 4 }, MemoryMiB: { Min: 1 } } },
      'launch_templates[0].InstanceRequirements.VCpuCount.Max',
      'Max must be at least Min',
    ],
  ])('rejects a launch template with %s, naming the field', (_case, templateOverrides, field, message) => {
    const input = awsSpecification({ launch_templates: [awsLaunchTemplate(templateOverrides)] });
    const issues = issuesOf(() => parseInput(awsSpecificationSchema, input, 'spec'));
    expect(issues).toContainEqual({ field, message: expect.stringContaining(message) });
  });

  it('rejects a max spot price on on-demand pools', () => {
    const input = awsSpecification({ instance_market_type: 'on-demand', max_spot_price_per_hour: 0.1 });
    expect(issuesOf(() => parseInput(awsSpecificationSchema, input, 'spec'))).toEqual([
      { field: 'max_spot_price_per_hour', message: expect.stringContaining('spot instances only') },
    ]);
  });

  it('rejects an empty launch template list', () => {
    expect(issuesOf(() => parseInput(awsSpecificationSchema, awsSpecification({ launch_templates: [] }), 'spec'))).toEqual([
      { field: 'launch_templates', message: 'give at least one launch template' },
    ]);
  });
});

describe('Hetzner and dummy specifications', () => {
  it('accepts a minimal Hetzner specification with the documented defaults', () => {
    expect(parseInput(hetznerSpecificationSchema, hetznerSpecification(), 'spec')).toMatchObject({
      ssh_keys: [],
      networks: [],
      labels: {},
      enable_ipv4: true,
      enable_ipv6: true,
    });
  });

  it('rejects a Hetzner specification without server_type and with an unknown field', () => {
    const issues = issuesOf(() =>
      parseInput(hetznerSpecificationSchema, hetznerSpecification({ server_type: undefined, locaton: 'fsn1' }), 'spec', 'specifications'),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'specifications.server_type', message: expect.any(String) },
        { field: 'specifications.locaton', message: 'unknown field; did you mean "location"?' },
      ]),
    );
  });

  it('rejects a Hetzner instance with no way to reach the server', () => {
    const input = hetznerSpecification({ enable_ipv4: false, enable_ipv6: false });
    expect(issuesOf(() => parseInput(hetznerSpecificationSchema, input, 'spec'))[0]!.field).toBe('enable_ipv4');
  });

  it('bounds the dummy failure rate between 0 and 1', () => {
    expect(issuesOf(() => parseInput(dummySpecificationSchema, { provider_type: 'dummy', failure_rate: 2 }, 's'))[0]!.field).toBe(
      'failure_rate',
    );
  });
});

describe('limits', () => {
  it('defaults to no instance or budget limit, one hour of idle time and one replacement booting at a time', () => {
    expect(workerPoolLimitsSchema.parse({})).toEqual({
      max_active_instances: null,
      target_max_seconds_per_month: null,
      max_idle_seconds: 3600,
      max_surge: 1,
    });
  });

  it.each([
    [{ max_active_instances: -1 }, 'max_active_instances', 'must be 0 or more'],
    [{ max_idle_seconds: 1.5 }, 'max_idle_seconds', 'must be a whole number'],
    [{ max_instances: 3 }, 'limits.max_instances', 'allowed fields'],
  ])('rejects %j naming the field', (input, field, message) => {
    const issues = issuesOf(() => parseInput(workerPoolLimitsSchema, input, 'limits', field.startsWith('limits') ? 'limits' : ''));
    expect(issues).toContainEqual({ field, message: expect.stringContaining(message) });
  });
});

describe('provider account data', () => {
  it('rejects a misspelled credential field and a missing secret', () => {
    const input = awsAccountData({ credentials: { access_key_id: 'AKIA', secret_acess_key: 'x' } });
    const issues = issuesOf(() => parseInput(providerAccountDataSchema, input, 'account'));
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'credentials.secret_access_key', message: expect.any(String) },
        { field: 'credentials.secret_acess_key', message: 'unknown field; did you mean "secret_access_key"?' },
      ]),
    );
  });

  it('names the provider_type choices when it is unknown', () => {
    const issues = issuesOf(() => parseInput(providerAccountDataSchema, awsAccountData({ provider_type: 'gcp' }), 'account'));
    expect(issues[0]!.field).toBe('provider_type');
  });

  it('never puts a credential value into an error message', () => {
    const input = awsAccountData({ credentials: { access_key_id: 'AKIA-VISIBLE?', secret_access_key: 42 } });
    const error = (() => {
      try {
        parseInput(providerAccountDataSchema, input, 'account');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).not.toContain('AKIA-VISIBLE');
  });
});
