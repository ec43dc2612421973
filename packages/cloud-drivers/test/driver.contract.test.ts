/**
 * The contract every CloudDriver keeps (src/driver.ts), run against each driver: the dummy,
 * Hetzner on the Hetzner fake, EC2 on moto, and the recording driver wrapped around the dummy
 * that provisioner tests inject failures with. What only one provider does (Hetzner's paging
 * and rate limits, EC2's launch templates) is tested in that driver's own file.
 */
import { randomBytes } from 'node:crypto';
import { type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import {
  type CloudDriver,
  InMemoryDummyCloud,
  DummyDriver,
  type InstanceSpec,
  isProviderError,
  type ProviderErrorKind,
  RecordingDriver,
} from '../src';
import { HetznerDriver } from '../src/hetzner/driver';
import { createServerDirectly, fakeDriver, hetznerSpecification } from './hetzner';
import { awsSpecification, CREDENTIALS, motoClient, motoDriver, runForeignInstance, someImageId } from './moto';

interface Refusal {
  what: string;
  kind: ProviderErrorKind;
  driver: (installationId: string) => CloudDriver;
}

interface DriverUnderTest {
  name: string;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  driver: (installationId: string) => CloudDriver;
  /** Makes an instance the way something other than this driver would, with these labels or tags. */
  createForeign: (name: string, labels: Record<string, string>) => Promise<void>;
  /** An id of the provider's form that names no instance. */
  unknownInstanceId: string;
  /** Requests the provider refuses, and the kind each must be classified as. */
  refusals: () => Refusal[];
  /** Strings no error message may contain. */
  secrets: string[];
}

const USER_DATA_SECRET = 'activation-0123456789abcdef0123456789abcdef';
const unique = () => randomBytes(3).toString('hex');
const installation = () => `contract-${unique()}`;
const spec = (workerName: string, poolName = 'contract-pool'): InstanceSpec => ({
  workerName,
  poolName,
  userData: `#cloud-config\nwrite_files:\n  - path: /etc/debusine/worker/activation-token\n    content: ${USER_DATA_SECRET}\n`,
  labels: {},
});

const dummy = (): DriverUnderTest => {
  const cloud = new InMemoryDummyCloud();
  return {
    name: 'dummy',
    driver: (installationId) => new DummyDriver({ installationId, cloud }),
    createForeign: async (name, labels) => {
      await cloud.add({ labels: { ...labels, name }, createdAt: new Date(), userData: '' });
    },
    unknownInstanceId: 'dummy-999999',
    refusals: () => [
      { what: 'a simulated quota failure', kind: 'quota', driver: (id) => new DummyDriver({ installationId: id, cloud, failureRate: 1, failureKind: 'quota' }) },
    ],
    secrets: [USER_DATA_SECRET],
  };
};

const recording = (): DriverUnderTest => {
  const base = dummy();
  return { ...base, name: 'recording (around the dummy)', driver: (id) => new RecordingDriver(base.driver(id)) };
};

const hetzner = (): DriverUnderTest => {
  const TOKEN = 'hz-contract-token-0123456789abcdef';
  let fake: HetznerFake;
  return {
    name: 'Hetzner (fake)',
    setup: async () => {
      fake = await startHetznerFake({ token: TOKEN });
    },
    teardown: () => fake.close(),
    driver: (installationId) => fakeDriver(fake, { installationId }).driver,
    createForeign: async (name, labels) => {
      await createServerDirectly(fake, name, labels);
    },
    unknownInstanceId: '987654321',
    refusals: () => [
      {
        what: 'a wrong API token',
        kind: 'auth',
        driver: (id) =>
          new HetznerDriver({ credentials: { api_token: 'wrong-token-0123456789abcdef' }, apiUrl: fake.url, installationId: id, specification: hetznerSpecification() }),
      },
      { what: 'a network that does not exist', kind: 'invalid', driver: (id) => fakeDriver(fake, { installationId: id, specification: hetznerSpecification({ networks: ['no-such-net'] }) }).driver },
      { what: 'an unreachable API', kind: 'transient', driver: (id) => fakeDriver(fake, { installationId: id, apiUrl: 'http://127.0.0.1:1' }).driver },
    ],
    secrets: [TOKEN, 'wrong-token-0123456789abcdef', USER_DATA_SECRET],
  };
};

const ec2 = (): DriverUnderTest => {
  const client = motoClient();
  let imageId: string;
  return {
    name: 'EC2 (moto)',
    setup: async () => {
      imageId = await someImageId(client);
    },
    driver: (installationId) => motoDriver({ installationId, specification: awsSpecification(imageId) }),
    createForeign: async (name, labels) => {
      await runForeignInstance(client, imageId, { ...labels, Name: name });
    },
    unknownInstanceId: 'i-0123456789abcdef0',
    refusals: () => [
      { what: 'an image that does not exist', kind: 'invalid', driver: (id) => motoDriver({ installationId: id, specification: awsSpecification('ami-00000000deadbeef0') }) },
      {
        what: 'an instance type that does not exist',
        kind: 'invalid',
        driver: (id) => motoDriver({ installationId: id, specification: awsSpecification(imageId, [{ InstanceType: 't3.nonexistent' }]) }),
      },
      { what: 'an unreachable API', kind: 'transient', driver: (id) => motoDriver({ installationId: id, specification: awsSpecification(imageId), endpoint: 'http://127.0.0.1:1' }) },
    ],
    secrets: [CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key, USER_DATA_SECRET],
  };
};

describe.each([dummy(), recording(), hetzner(), ec2()])('the CloudDriver contract: $name', (subject) => {
  beforeAll(async () => subject.setup?.());
  afterAll(async () => subject.teardown?.());

  const live = <T extends { state: string }>(instances: T[]) => instances.filter((i) => i.state !== 'gone' && i.state !== 'deleting');

  it('launches again for a worker that has an instance by returning that instance, adopted, and creates no second one', async () => {
    const driver = subject.driver(installation());
    const worker = `w-${unique()}-001`;
    const first = await driver.launch([spec(worker)]);
    expect(first.failed).toEqual([]);

    const again = await driver.launch([spec(worker)]);

    expect(again).toEqual({
      launched: [{ workerName: worker, instanceId: first.launched[0]!.instanceId, data: expect.objectContaining({ adopted: true }) }],
      failed: [],
    });
    expect(live(await driver.list()).filter((i) => i.workerName === worker)).toHaveLength(1);
  });

  it('lists exactly the instances of its own installation, with their worker and pool names', async () => {
    const ours = installation();
    const driver = subject.driver(ours);
    const tag = unique();
    const launched = await driver.launch([spec(`ours-${tag}-1`), spec(`ours-${tag}-2`)]);
    await subject.driver(installation()).launch([spec(`theirs-${tag}-1`)]);
    await subject.createForeign(`unlabelled-${tag}`, {});
    await subject.createForeign(`look-alike-${tag}`, { 'buildfleet-installation': ours });

    const listed = await driver.list();

    expect(listed.map((i) => i.instanceId).sort()).toEqual(launched.launched.map((l) => l.instanceId).sort());
    expect(listed.map((i) => [i.workerName, i.poolName]).sort()).toEqual([
      [`ours-${tag}-1`, 'contract-pool'],
      [`ours-${tag}-2`, 'contract-pool'],
    ]);
  });

  it('terminates an instance so it is no longer live, and terminating it again, or an id that never existed, succeeds', async () => {
    const driver = subject.driver(installation());
    const [launched] = (await driver.launch([spec(`w-${unique()}-002`)])).launched;

    await driver.terminate(launched!.instanceId);
    await driver.terminate(launched!.instanceId);
    await driver.terminate(subject.unknownInstanceId);

    expect(live(await driver.list())).toEqual([]);
  });

  it('fails a spec whose worker name a label cannot hold as invalid, creating nothing, and launches the others', async () => {
    const driver = subject.driver(installation());
    const good = `w-${unique()}-003`;

    const result = await driver.launch([spec('bad name!'), spec(good)]);

    expect(result.failed).toEqual([{ workerName: 'bad name!', error: expect.objectContaining({ kind: 'invalid', retryable: false }) }]);
    expect(result.launched.map((l) => l.workerName)).toEqual([good]);
    expect((await driver.list()).map((i) => i.workerName)).toEqual([good]);
  });

  it('classifies what the provider refuses, retryable only when retrying can help, and never quotes a secret', async () => {
    for (const refusal of subject.refusals()) {
      const driver = refusal.driver(installation());
      const result = await driver.launch([spec(`w-${unique()}-004`)]);
      expect({ what: refusal.what, launched: result.launched }).toEqual({ what: refusal.what, launched: [] });
      const [failure] = result.failed;
      expect(isProviderError(failure?.error)).toBe(true);
      expect({ what: refusal.what, kind: failure!.error.kind, retryable: failure!.error.retryable }).toEqual({
        what: refusal.what,
        kind: refusal.kind,
        retryable: refusal.kind === 'transient' || refusal.kind === 'rate_limited',
      });
      for (const secret of subject.secrets) expect(failure!.error.message).not.toContain(secret);
    }
  });
});
