import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { BuildTimeoutError, buildOnAws, imageLabels, plan, type ProgressEvent, readManifest, renderBuildUserData } from '../src';
import { NEWEST_TRIXIE_AMD64 } from './debianAmis';
import { useOutputDir } from './helpers';
import { buildInstances, CREDENTIALS, imagesOfPlan, motoAccess, motoClient, tagsOf, uniqueApiUrl, whenBuildInstanceRuns } from './moto';

const REGION = 'us-east-1';
const output = useOutputDir();
const fast = { pollIntervalMs: 20 };

async function instanceState(instanceId: string): Promise<string | undefined> {
  const out = await motoClient(REGION).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe('buildOnAws', () => {
  it('boots the newest Debian AMI with the build user data, images the stopped instance, tags the AMI and terminates the instance', async () => {
    const buildPlan = plan({ target: 'aws', api_url: uniqueApiUrl() });
    const client = motoClient(REGION);
    const events: ProgressEvent[] = [];
    const [result, builderId] = await Promise.all([
      buildOnAws(buildPlan, { ...motoAccess(REGION), ...fast, outputDir: output.path, onProgress: (e) => events.push(e) }),
      whenBuildInstanceRuns(client, buildPlan, 'stop'),
    ]);

    const [image] = await imagesOfPlan(client, buildPlan);
    expect(image?.ImageId).toBe(result.imageId);
    expect(image?.State).toBe('available');
    expect(tagsOf(image!)).toMatchObject({ ...imageLabels(buildPlan), 'managed-by': 'buildfleet', 'buildfleet-image': 'debusine-worker' });
    expect(await instanceState(builderId)).toBe('terminated');

    const userData = await client.send(new DescribeInstanceAttributeCommand({ InstanceId: builderId, Attribute: 'userData' }));
    expect(Buffer.from(userData.UserData?.Value ?? '', 'base64').toString()).toBe(renderBuildUserData(buildPlan));
    const [instance] = await buildInstances(client, buildPlan);
    expect(instance?.ImageId).toBe(NEWEST_TRIXIE_AMD64);

    const manifest = await readManifest(join(output.path, 'manifest.json'));
    expect(manifest.images.aws).toMatchObject({ id: result.imageId, region: REGION, base_image: NEWEST_TRIXIE_AMD64, name: expect.stringMatching(/^buildfleet-debusine-worker-trixie-amd64-/) });
    expect(manifest.options).toMatchObject({ api_url: buildPlan.options.api_url, enable_backends: ['unshare'] });
    expect(new Set(events.map((e) => e.step))).toEqual(new Set(buildPlan.publish.map((s) => s.step).concat('manifest')));
  });

  it('asks for InstanceInitiatedShutdownBehavior stop, so that powering off keeps the disk', async () => {
    const buildPlan = plan({ target: 'aws', api_url: uniqueApiUrl() });
    const client = motoClient(REGION);
    const [, builderId] = await Promise.all([
      buildOnAws(buildPlan, { ...motoAccess(REGION), ...fast, outputDir: output.path }),
      whenBuildInstanceRuns(client, buildPlan, 'stop'),
    ]);
    const attribute = await client.send(new DescribeInstanceAttributeCommand({ InstanceId: builderId, Attribute: 'instanceInitiatedShutdownBehavior' }));
    expect(attribute.InstanceInitiatedShutdownBehavior?.Value).toBe('stop');
  });

  it('fails and cleans up when the build instance terminates instead of stopping', async () => {
    const buildPlan = plan({ target: 'aws', api_url: uniqueApiUrl() });
    const client = motoClient(REGION);
    const [outcome, builderId] = await Promise.all([
      buildOnAws(buildPlan, { ...motoAccess(REGION), ...fast, outputDir: output.path }).catch((error: Error) => error),
      whenBuildInstanceRuns(client, buildPlan, 'terminate'),
    ]);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toContain(`build instance ${builderId} is terminated instead of stopped`);
    expect(await imagesOfPlan(client, buildPlan)).toEqual([]);
    expect(existsSync(join(output.path, 'manifest.json'))).toBe(false);
  });

  it('terminates the build instance and shows its console output when it never stops', async () => {
    const buildPlan = plan({ target: 'aws', api_url: uniqueApiUrl() });
    const client = motoClient(REGION);
    const [outcome, builderId] = await Promise.all([
      buildOnAws(buildPlan, { ...motoAccess(REGION), ...fast, instanceStopTimeoutMs: 500, outputDir: output.path }).catch((error: Error) => error),
      whenBuildInstanceRuns(client, buildPlan, 'nothing'),
    ]);
    expect(outcome).toBeInstanceOf(BuildTimeoutError);
    expect((outcome as Error).message).toMatch(new RegExp(`^timed out after 1 s waiting for build instance ${builderId} to stop itself\\n` + `console output of ${builderId} \\(last lines\\):\\n.+`));
    expect(await instanceState(builderId)).toBe('terminated');
    expect(await imagesOfPlan(client, buildPlan)).toEqual([]);
  });

  it('terminates the build instance when aborted, and rejects with the abort reason', async () => {
    const buildPlan = plan({ target: 'aws', api_url: uniqueApiUrl() });
    const client = motoClient(REGION);
    const controller = new AbortController();
    const reason = new Error('user pressed Ctrl-C');
    const [outcome, builderId] = await Promise.all([
      buildOnAws(buildPlan, { ...motoAccess(REGION), ...fast, outputDir: output.path, signal: controller.signal }).catch((error: unknown) => error),
      whenBuildInstanceRuns(client, buildPlan, 'nothing').then((id) => {
        controller.abort(reason);
        return id;
      }),
    ]);
    expect(outcome).toBe(reason);
    expect(await instanceState(builderId)).toBe('terminated');
  });

  it('never puts the credentials into an error', async () => {
    const buildPlan = plan({ target: 'aws', api_url: uniqueApiUrl() });
    const outcome = await buildOnAws(buildPlan, { ...motoAccess(REGION), baseImageId: 'ami-0000000000000dead', instanceType: 'no.such-type', outputDir: output.path }).catch((error: Error) => error);
    expect(outcome).toBeInstanceOf(Error);
    const text = `${(outcome as Error).message} ${JSON.stringify(outcome)}`;
    expect(text).not.toContain(CREDENTIALS.secret_access_key);
    expect(text).not.toContain(CREDENTIALS.access_key_id);
    expect(await readFile(join(output.path, 'manifest.json')).catch(() => 'none')).toBe('none');
  });
});
