import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildLocal, type LocalBuildOptions, localBuildCommands, parsePackageList, plan, renderMmdebstrap } from '../src';
import { spawnCommand } from '../src/runners/local';
import { useOutputDir } from './helpers';

const output = useOutputDir();

describe('localBuildCommands', () => {
  it('runs debefivm-create into <output>/<name>.raw, then compresses it with qemu-img into qcow2', () => {
    const buildPlan = plan({});
    const commands = localBuildCommands(buildPlan, '/srv/images');
    const raw = '/srv/images/buildfleet-debusine-worker-trixie-amd64.raw';
    const qcow2 = '/srv/images/buildfleet-debusine-worker-trixie-amd64.qcow2';
    expect(commands.raw).toBe(raw);
    expect(commands.qcow2).toBe(qcow2);
    expect(commands.build).toEqual(renderMmdebstrap(buildPlan, raw, '/srv/images/buildfleet-debusine-worker-trixie-amd64.staging'));
    expect(commands.build.argv[0]).toBe('debefivm-create');
    expect(commands.build.argv).toContain(`--output=${raw}`);
    expect(commands.convert).toEqual(['qemu-img', 'convert', '-c', '-O', 'qcow2', raw, qcow2]);
  });

  it('names bookworm arm64 images after their release and architecture', () => {
    const commands = localBuildCommands(plan({ release: 'bookworm', architecture: 'arm64' }), 'out');
    expect(commands.raw).toMatch(/\/out\/buildfleet-debusine-worker-bookworm-arm64\.raw$/);
    expect(commands.build.argv).toContain('--architecture=arm64');
  });
});

describe('parsePackageList', () => {
  it('reads dpkg-query lines into a sorted map and skips blank lines', () => {
    expect(parsePackageList('sbuild\t0.89.3\ndebusine-worker\t0.11.3+deb13u1\n\n')).toEqual({ 'debusine-worker': '0.11.3+deb13u1', sbuild: '0.89.3' });
  });
});

describe('buildLocal', () => {
  /** Runs dpkg for real; instead of debefivm-create, writes part of a disk and fails. */
  const failingBuild: LocalBuildOptions['run'] = async (argv, options) => {
    if (argv[0] !== 'debefivm-create') return spawnCommand(argv, options);
    const raw = argv.find((a) => a.startsWith('--output='))!.slice('--output='.length);
    await writeFile(raw, 'partial disk');
    throw new Error('debefivm-create failed (exit 1)');
  };

  it('removes the partial disk and the staging files when the build fails, and writes no manifest', async () => {
    await expect(buildLocal(plan({}), { outputDir: output.path, run: failingBuild })).rejects.toThrow('debefivm-create failed (exit 1)');
    expect(await readdir(output.path)).toEqual([]);
  });

  it('refuses a debvm older than 0.4.4, naming the fix', async () => {
    const oldDebvm: LocalBuildOptions['run'] = async (argv, options) => {
      if (argv[0] === 'dpkg-query') return options.onLine('0.2.10');
      return spawnCommand(argv, options);
    };
    await expect(buildLocal(plan({}), { outputDir: output.path, run: oldDebvm })).rejects.toThrow(
      'debvm 0.2.10 is too old: install debvm ≥ 0.4.4 (trixie, or bookworm-backports: apt-get install -t bookworm-backports debvm mmdebstrap)',
    );
  });

  it('never overwrites an image', async () => {
    const { raw } = localBuildCommands(plan({}), output.path);
    await writeFile(raw, 'an earlier build');
    await expect(buildLocal(plan({}), { outputDir: output.path, run: failingBuild })).rejects.toThrow(`${raw} already exists: delete it or choose another output directory`);
    expect(existsSync(raw)).toBe(true);
  });

  it('wants a plan for the local target', async () => {
    await expect(buildLocal(plan({ target: 'aws' }), { outputDir: output.path })).rejects.toThrow('buildLocal needs a plan for target local, not aws');
    expect(await readdir(join(output.path))).toEqual([]);
  });
});
