import { DescribeImagesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { listImages, plan, pruneImages } from '../src';
import { makeTaggedAmi, motoAccess, motoClient } from './moto';

// This file's own region: pruning here cannot touch the images of other test files.
const REGION = 'eu-west-1';
const NOTHING_IN_USE = { pools: {}, instances: {} };
const account = () => ({ target: 'aws' as const, ...motoAccess(REGION) });
const secondApart = () => new Promise((resolve) => setTimeout(resolve, 1100)); // moto's CreationDate has whole seconds

describe('listImages and pruneImages on EC2', () => {
  const trixie = plan({ target: 'aws' });
  const bookworm = plan({ target: 'aws', release: 'bookworm' });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const client = motoClient(REGION);
    ids.oldest = await makeTaggedAmi(client, trixie, 'trixie-1');
    await secondApart();
    ids.middle = await makeTaggedAmi(client, trixie, 'trixie-2');
    ids.bookworm = await makeTaggedAmi(client, bookworm, 'bookworm-1');
    await secondApart();
    ids.newest = await makeTaggedAmi(client, trixie, 'trixie-3');
  }, 30_000);

  it('lists only buildfleet debusine-worker AMIs, newest first, with their labels', async () => {
    const images = await listImages(account());
    // trixie-2 and bookworm-1 are made one after the other, in the same second or (on a slow
    // machine) not: between them, the later one first, ties by id.
    const between = images.filter((i) => i.id === ids.middle || i.id === ids.bookworm);
    const inOrder = [...between].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    expect(images.map((i) => i.id)).toEqual([ids.newest, ...inOrder.map((i) => i.id), ids.oldest]);
    expect(images.find((i) => i.id === ids.bookworm)?.labels).toMatchObject({ 'buildfleet-release': 'bookworm', 'buildfleet-architecture': 'amd64' });
    const all = await motoClient(REGION).send(new DescribeImagesCommand({ Owners: ['amazon', '136693071363'] }));
    expect(all.Images?.length).toBeGreaterThan(0);
    expect(images.map((i) => i.id)).not.toContain(all.Images?.[0]?.ImageId);
  });

  it('with dryRun only reports what it would delete', async () => {
    const result = await pruneImages(account(), { keep: 1, dryRun: true, inUse: NOTHING_IN_USE });
    expect(result.deleted.map((i) => i.id)).toEqual([ids.middle, ids.oldest]);
    expect((await listImages(account())).length).toBe(4);
  });

  it('keeps the oldest AMI while a pool names it, saying why', async () => {
    const result = await pruneImages(account(), { keep: 1, dryRun: true, inUse: { pools: { [ids.oldest!]: ['aws-spot', 'aws-big'] }, instances: {} } });
    expect(result.deleted.map((i) => i.id)).toEqual([ids.middle]);
    expect(result.kept.find((i) => i.id === ids.oldest)?.keptBecause).toEqual(['in use by pool aws-spot', 'in use by pool aws-big']);
    expect(result.kept.find((i) => i.id === ids.newest)?.keptBecause).toEqual(['newest 1']);
  });

  it('keeps an AMI that instances of a pool which moved on still run, until they are gone', async () => {
    const running = { pools: { [ids.newest!]: ['aws-spot'] }, instances: { [ids.middle!]: 2 } };
    const kept = await pruneImages(account(), { keep: 1, dryRun: true, inUse: running });
    expect(kept.kept.find((i) => i.id === ids.middle)?.keptBecause).toEqual(['running on 2 instances']);
    expect(kept.deleted.map((i) => i.id)).toEqual([ids.oldest]);
    const gone = await pruneImages(account(), { keep: 1, dryRun: true, inUse: { ...running, instances: {} } });
    expect(gone.deleted.map((i) => i.id)).toEqual([ids.middle, ids.oldest]);
  });

  it('keeps the newest N per release and architecture and deletes the rest with their snapshots', async () => {
    const client = motoClient(REGION);
    const before = await client.send(new DescribeImagesCommand({ ImageIds: [ids.middle!, ids.oldest!] }));
    const snapshots = (before.Images ?? []).flatMap((i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId ?? '')).filter(Boolean);
    expect(snapshots).toHaveLength(2);

    const result = await pruneImages(account(), { keep: 1, inUse: NOTHING_IN_USE });
    expect(result).toMatchObject({ dryRun: false, failed: [] });
    expect(result.deleted.map((i) => i.id)).toEqual([ids.middle, ids.oldest]);
    expect(result.kept.map((i) => i.id).sort()).toEqual([ids.newest, ids.bookworm].sort());
    expect((await listImages(account())).map((i) => i.id).sort()).toEqual([ids.newest, ids.bookworm].sort());
    const left = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    const leftIds = new Set((left.Snapshots ?? []).map((s) => s.SnapshotId));
    expect(snapshots.filter((id) => leftIds.has(id))).toEqual([]);
  });
});
