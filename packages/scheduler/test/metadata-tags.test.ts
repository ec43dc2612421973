import { workerTagsFromMetadata } from '../src';
import { workerMetadata } from './fixtures';

describe('tags from reported metadata', () => {
  it('turns a real worker report into architecture, executor, task, type and size tags', () => {
    expect(workerTagsFromMetadata(workerMetadata({ 'system:total_physical_memory': 25276063744 }))).toEqual({
      plain: [
        'arch:amd64',
        'arch:i386',
        'available:autopkgtest',
        'available:sbuild',
        'executor:unshare',
        'task:autopkgtest',
        'task:mmdebstrap',
        'task:noop',
        'task:sbuild',
        'worker-type:external',
      ],
      numeric: { cpus: 4, memory_gib: 24 },
    });
  });

  it('says a task is available only when the worker reports it true', () => {
    const tags = workerTagsFromMetadata(workerMetadata({ 'sbuild:available': false }));
    expect(tags.plain).toContain('task:sbuild');
    expect(tags.plain).not.toContain('available:sbuild');
    expect(workerTagsFromMetadata(workerMetadata({ 'mmdebstrap:available': 'yes' })).plain).not.toContain('available:mmdebstrap');
  });

  it('keeps only allow-listed tasks, or drops deny-listed ones', () => {
    expect(workerTagsFromMetadata(workerMetadata({ tasks_allowlist: ['noop'] })).plain.filter((t) => t.startsWith('task:'))).toEqual([
      'task:noop',
    ]);
    expect(workerTagsFromMetadata(workerMetadata({ tasks_denylist: ['noop'] })).plain).not.toContain('task:noop');
  });

  it('names tasks of other types with their type, and gives a task without a version to every worker of its type', () => {
    expect(
      workerTagsFromMetadata({ 'system:worker_type': 'signing', 'signing:sign:version': 1, 'signing:sign:available:uefi': true }).plain,
    ).toEqual(['available:signing:sign:uefi', 'task:signing:generatekey', 'task:signing:sign', 'worker-type:signing']);
  });
});

describe('reported sizes', () => {
  it('count as not reported when they are out of range, so they meet no minimum', () => {
    expect(workerTagsFromMetadata({ 'system:cpu_count': 1e300, 'system:total_physical_memory': -1 }).numeric).toEqual({});
    expect(workerTagsFromMetadata({ 'system:cpu_count': 2, 'system:total_physical_memory': 2 ** 31 }).numeric).toEqual({ cpus: 2, memory_gib: 2 });
  });
});
