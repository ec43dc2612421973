import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildManifest, imageIdFromManifest, imageIdFromManifestFile, plan, planDigest, readManifest } from '../src';
import { recordImage } from '../src/manifest';
import { useOutputDir, validationErrorOf } from './helpers';

const output = useOutputDir();
const image = (id: string) => ({ id, name: id, built_at: '2026-11-28T05:00:00.000Z', build_seconds: 300 });

describe('manifest', () => {
  it('collects the images of one set of options, one per target, each with its plan digest', async () => {
    const aws = plan({ target: 'aws' });
    const hetzner = plan({ target: 'hetzner' });
    await recordImage(output.path, aws, image('ami-0123456789abcdef0'));
    await recordImage(output.path, hetzner, image('123456789'));
    const manifest = await readManifest(join(output.path, 'manifest.json'));
    expect(manifest.options).not.toHaveProperty('target');
    expect(manifest.images.aws).toMatchObject({ id: 'ami-0123456789abcdef0', plan_digest: planDigest(aws) });
    expect(manifest.images.hetzner).toMatchObject({ id: '123456789', plan_digest: planDigest(hetzner) });
    expect(await imageIdFromManifestFile(join(output.path, 'manifest.json'), 'hetzner')).toBe('123456789');
  });

  it('starts over when the options differ', async () => {
    await recordImage(output.path, plan({ target: 'aws' }), image('ami-0123456789abcdef0'));
    const { manifest } = await recordImage(output.path, plan({ target: 'hetzner', enable_backends: ['incus-lxc'] }), image('42'));
    expect(Object.keys(manifest.images)).toEqual(['hetzner']);
  });

  it('says which targets a manifest has when asked for another', () => {
    const manifest = { format: 'buildfleet-image-manifest/1', options: {}, images: { aws: image('ami-1') } } as unknown as BuildManifest;
    const error = validationErrorOf(() => imageIdFromManifest(manifest, 'hetzner'));
    expect(error.issues).toEqual([{ field: 'target', message: 'the manifest has no hetzner image (it has: aws); build one with `buildfleet image build --target hetzner`' }]);
  });

  it('rejects a file that is not a manifest, naming it', async () => {
    const path = join(output.path, 'other.json');
    await writeFile(path, JSON.stringify({ hello: 'world' }));
    await expect(readManifest(path)).rejects.toThrow(`${path} is not a buildfleet-image-manifest/1 manifest`);
    await expect(readManifest(join(output.path, 'missing.json'))).rejects.toThrow('(ENOENT)');
  });
});
