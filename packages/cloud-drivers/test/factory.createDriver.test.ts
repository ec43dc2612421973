import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startHetznerFake } from '@buildfleet/hetzner-fake';
import { createDriver, InMemoryDummyCloud, type DriverAccount } from '../src';
import { motoEndpoint } from '@buildfleet/moto';
import { installationId, REGION, CREDENTIALS, someImageId, motoClient } from './moto';

const spec = (workerName: string) => ({ workerName, poolName: 'pool', userData: '#cloud-config\n', labels: {} });

describe('createDriver', () => {
  it('builds a dummy driver that follows the pool specification', async () => {
    const account: DriverAccount = { name: 'sim', providerType: 'dummy', configuration: {}, credentials: { secret: 'x' } };
    const pool = { name: 'pool', specifications: { provider_type: 'dummy' as const, features: [], boot_delay_seconds: 0, failure_rate: 1 } };

    const driver = createDriver(account, pool, 'test', { dummyCloud: new InMemoryDummyCloud() });
    const result = await driver.launch([spec('w-1')]);

    expect(driver.providerType).toBe('dummy');
    expect(result.failed).toEqual([{ workerName: 'w-1', error: expect.objectContaining({ kind: 'capacity' }) }]);
  });

  it('builds a Hetzner driver that talks to the account api_url with the given token', async () => {
    const fake = await startHetznerFake({ token: 'hz-token-factory-0123456789' });
    try {
      const driver = createDriver(
        { name: 'hz', providerType: 'hetzner', configuration: { api_url: fake.url }, credentials: { api_token: fake.token } },
        { name: 'pool', specifications: { provider_type: 'hetzner', server_type: 'cpx22', image_name: 'debian-13' } as never },
        'test',
      );

      expect(driver.providerType).toBe('hetzner');
      expect((await driver.launch([spec('hz-factory-1')])).launched).toHaveLength(1);
      expect(await driver.list()).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('builds an EC2 driver on the account region and ec2_endpoint_url', async () => {
    const imageId = await someImageId(motoClient());
    const driver = createDriver(
      {
        name: 'ec2',
        providerType: 'aws',
        configuration: { region_name: REGION, ec2_endpoint_url: motoEndpoint() },
        credentials: CREDENTIALS,
      },
      {
        name: 'pool',
        specifications: { provider_type: 'aws', launch_templates: [{ ImageId: imageId, InstanceType: 't3.micro' }] } as never,
      },
      installationId(),
    );

    expect(driver.providerType).toBe('aws');
    expect((await driver.launch([spec('ec2-factory-1')])).launched).toHaveLength(1);
  });

  it('loads the EC2 SDK when the first EC2 driver is made, not when the package is imported, and that driver works', async () => {
    // A process of its own, on the built package as its users import it: jest's module registry
    // is not Node's, and what a fresh `serve` loads at start is what this guards.
    const script = `
      const drivers = require('@buildfleet/cloud-drivers');
      const sdkLoaded = () => Object.keys(require.cache).some((file) => file.includes('/@aws-sdk/client-ec2/'));
      const atImport = sdkLoaded();
      const driver = drivers.createDriver(
        { name: 'ec2', providerType: 'aws', configuration: { region_name: '${REGION}', ec2_endpoint_url: process.env.ENDPOINT }, credentials: JSON.parse(process.env.CREDENTIALS) },
        { name: 'pool', specifications: { provider_type: 'aws', launch_templates: [{ ImageId: process.env.IMAGE_ID, InstanceType: 't3.micro' }] } },
        process.env.INSTALLATION_ID,
      );
      const atDriver = sdkLoaded();
      driver
        .launch([{ workerName: 'ec2-lazy-1', poolName: 'pool', userData: '#cloud-config\\n', labels: {} }])
        .then(async (result) => console.log(JSON.stringify({ atImport, atDriver, launched: result.launched.length, listed: (await driver.list()).map((i) => i.workerName) })));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        ENDPOINT: motoEndpoint(),
        CREDENTIALS: JSON.stringify(CREDENTIALS),
        IMAGE_ID: await someImageId(motoClient()),
        INSTALLATION_ID: installationId(),
      },
    });

    expect(JSON.parse(stdout)).toEqual({ atImport: false, atDriver: true, launched: 1, listed: ['ec2-lazy-1'] });
  });

  it('refuses a pool whose provider differs from its account', () => {
    expect(() =>
      createDriver(
        { name: 'sim', providerType: 'dummy', configuration: {}, credentials: { secret: 'x' } },
        { name: 'pool', specifications: { provider_type: 'hetzner', server_type: 'cpx22', image_name: 'debian-13' } as never },
        'test',
      ),
    ).toThrow(expect.objectContaining({ kind: 'invalid', message: 'pool "pool" has a hetzner specification but account "sim" is dummy' }));
  });

  it.each([
    [{ region_name: REGION, ec2_endpoint_url: 'not a url' }, /configuration\.ec2_endpoint_url: give an http:\/\/ or https:\/\/ URL/],
    [{}, /region_name is not set/],
  ])('refuses bad account configuration %j, naming the field', (configuration, message) => {
    expect(() =>
      createDriver(
        { name: 'ec2', providerType: 'aws', configuration, credentials: CREDENTIALS },
        { name: 'pool', specifications: { provider_type: 'aws', launch_templates: [{ ImageId: 'ami-1', InstanceType: 't3.micro' }] } as never },
        'test',
      ),
    ).toThrow(expect.objectContaining({ kind: 'invalid', message: expect.stringMatching(message) }));
  });

  it('refuses a bad pool specification, naming the field', () => {
    expect(() =>
      createDriver(
        { name: 'ec2', providerType: 'aws', configuration: { region_name: REGION }, credentials: CREDENTIALS },
        { name: 'pool', specifications: { provider_type: 'aws', launch_templates: [{ ImageId: 'ami-1' }] } as never },
        'test',
      ),
    ).toThrow(expect.objectContaining({ kind: 'invalid', message: expect.stringMatching(/specifications\.launch_templates\[0\]\.InstanceType: give exactly one/) }));
  });
});
