import { taskRequirements, workerTagsFromMetadata } from '../src';
import { workerMetadata } from './fixtures';

describe('tags from reported metadata', () => {
  it('turns a real worker report into architecture, executor, task, type and size tags', () => {
    expect(workerTagsFromMetadata(workerMetadata({ 'system:total_physical_memory': 25276063744 }))).toEqual({
      plain: [
        'arch:amd64',
        'arch:i386',
        'executor:unshare',
        'task:autopkgtest',
        'task:noop',
        'task:sbuild',
        'worker-type:external',
      ],
      numeric: { cpus: 4, memory_gib: 24 },
    });
  });

  it('leaves out tasks reported as unavailable', () => {
    const tags = workerTagsFromMetadata(workerMetadata({ 'sbuild:available': false }));
    expect(tags.plain).not.toContain('task:sbuild');
  });

  it('keeps only allow-listed tasks, or drops deny-listed ones', () => {
    expect(workerTagsFromMetadata(workerMetadata({ tasks_allowlist: ['noop'] })).plain.filter((t) => t.startsWith('task:'))).toEqual([
      'task:noop',
    ]);
    expect(workerTagsFromMetadata(workerMetadata({ tasks_denylist: ['noop'] })).plain).not.toContain('task:noop');
  });

  it('names tasks of other types with their type', () => {
    expect(workerTagsFromMetadata({ 'signing:sign:version': 1 }).plain).toEqual(['task:signing:sign']);
  });
});

describe('task type requirements', () => {
  it.each([
    ['sbuild', {}, ['executor:unshare', 'task:sbuild', 'worker-type:external']],
    ['sbuild', { host_architecture: 'arm64', backend: 'auto' }, ['arch:arm64', 'executor:unshare', 'task:sbuild', 'worker-type:external']],
    ['sbuild', { backend: 'incus-lxc' }, ['executor:incus-lxc', 'task:autopkgtest', 'task:sbuild', 'worker-type:external']],
    ['autopkgtest', { backend: 'qemu', host_architecture: 'amd64' }, ['arch:amd64', 'executor:qemu', 'task:autopkgtest', 'worker-type:external']],
    ['mmdebstrap', { bootstrap_options: { architecture: 'riscv64' } }, ['arch:riscv64', 'task:mmdebstrap', 'worker-type:external']],
    ['noop', {}, ['task:noop', 'worker-type:external']],
    ['lintian', { host_architecture: 'amd64' }, ['arch:amd64', 'task:lintian', 'worker-type:external']],
  ])('%s with %j needs %j', (taskName, taskData, tags) => {
    expect(taskRequirements('Worker', taskName, taskData)).toEqual({ tags, minimums: {} });
  });

  it('requires the bootstrap architecture of mmdebstrap and simplesystemimagebuild', () => {
    expect(() => taskRequirements('Worker', 'simplesystemimagebuild', {})).toThrow(/bootstrap_options\.architecture/);
  });

  it('sends signing tasks to signing workers', () => {
    expect(taskRequirements('Signing', 'sign', {}).tags).toEqual(['task:signing:sign', 'worker-type:signing']);
  });
});
