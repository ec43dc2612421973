import { type TaskType, type ValidationError } from '@buildfleet/models';
import { knownTaskNames, taskRequirements, validateTask, workerTaskData } from '../src';
import { taskData } from './task-data';

function issuesOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('known tasks', () => {
  it("are Debusine's Worker, Signing and Server tasks", () => {
    expect(knownTaskNames('Worker')).toEqual([
      'assemblesignedsource',
      'autopkgtest',
      'blhc',
      'debdiff',
      'extractforsigning',
      'lintian',
      'makesourcepackageupload',
      'mergeuploads',
      'mmdebstrap',
      'noop',
      'piuparts',
      'sbuild',
      'simplesystemimagebuild',
    ]);
    expect(knownTaskNames('Signing')).toEqual(['debsign', 'generatekey', 'noop', 'sign', 'signrepositoryindex']);
    expect(knownTaskNames('Server')).toEqual([
      'aptmirror',
      'cloud_provisioning',
      'copycollectionitems',
      'create_experiment_workspace',
      'generatesuiteindexes',
      'packageupload',
      'servernoop',
      'updatesuitelintiancollection',
    ]);
  });

  it.each(['frobnicate', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'refuse %j naming the known ones',
    (name) => {
      expect(issuesOf(() => validateTask('Worker', name, {}))).toEqual([
        { field: 'taskName', message: expect.stringMatching(/^unknown Worker task ".*"; known Worker tasks: assemblesignedsource, .*sbuild, simplesystemimagebuild$/) },
      ]);
    },
  );

  it('are known per task type: a Worker task name is not a Server task', () => {
    expect(issuesOf(() => validateTask('Server', 'sbuild', {}))[0]?.message).toMatch(/known Server tasks: aptmirror/);
  });

  it.each<TaskType>(['Internal', 'Workflow', 'Wait'])('refuse %s tasks, which no worker runs', (type) => {
    expect(issuesOf(() => validateTask(type, 'noop', {}))).toEqual([{ field: 'taskType', message: expect.stringContaining('do not run on workers') }]);
  });
});

describe('task data', () => {
  it.each([
    ['noop with a field Debusine does not define', 'noop', { result: true, extra: 1 }, 'task_data.extra', 'unknown field'],
    ['noop with a non-boolean result', 'noop', { result: 'yes' }, 'task_data.result', ''],
    ['a prototype key', 'noop', JSON.parse('{"__proto__": {"result": false}}'), 'task_data.__proto__', 'unknown field'],
    ['a constructor key', 'noop', { constructor: 1 }, 'task_data.constructor', 'unknown field'],
    ['sbuild with a number for host_architecture', 'sbuild', taskData('sbuild', { host_architecture: 5 }), 'task_data.host_architecture', ''],
    ['sbuild without host_architecture', 'sbuild', { input: { source_artifact: 1 }, environment: 'e' }, 'task_data.host_architecture', 'required'],
    ['sbuild without its input', 'sbuild', { host_architecture: 'amd64', environment: 'e' }, 'task_data.input', 'required'],
    ['sbuild with an unknown backend', 'sbuild', taskData('sbuild', { backend: 'docker' }), 'task_data.backend', ''],
    ['a binNMU that builds arch:all', 'sbuild', taskData('sbuild', { binnmu: { changelog: 'x', suffix: '+b1' }, build_components: ['any', 'all'] }), 'task_data.build_components', 'binNMU'],
    ['autopkgtest with debug_level 4', 'autopkgtest', taskData('autopkgtest', { debug_level: 4 }), 'task_data.debug_level', 'from 0 to 3'],
    ['mmdebstrap without repositories', 'mmdebstrap', { bootstrap_options: { architecture: 'amd64' } }, 'task_data.bootstrap_repositories', 'required'],
    ['mmdebstrap without its architecture', 'mmdebstrap', taskData('mmdebstrap', { bootstrap_options: { variant: 'minbase' } }), 'task_data.bootstrap_options.architecture', 'required'],
    ['lintian with no input artifact', 'lintian', { input: {} }, 'task_data.input', 'give source_artifact or binary_artifacts'],
    ['extractforsigning on another backend', 'extractforsigning', { environment: 'e', input: { template_artifact: 1, binary_artifacts: [2] }, backend: 'unshare' }, 'task_data.backend', 'only "auto"'],
  ])('refuses %s, naming the field', (_title, task, data, field, message) => {
    expect(issuesOf(() => validateTask('Worker', task, data))).toContainEqual({ field, message: expect.stringContaining(message) });
  });

  it.each([
    ['Signing', 'sign', { purpose: 'secureboot', unsigned: [1], key: 'ABC' }, 'task_data.purpose'],
    ['Signing', 'generatekey', { purpose: 'uefi' }, 'task_data.description'],
    ['Signing', 'signrepositoryindex', { suite_collection: 1, unsigned: 2, mode: 'detached', signed_name: 'a/b' }, 'task_data.signed_name'],
    ['Server', 'aptmirror', { collection: 'c', url: 'not a url', suite: 'trixie', components: ['main'], architectures: [] }, 'task_data.url'],
    ['Server', 'servernoop', { result: true, delay: 1 }, 'task_data.delay'],
  ] as const)('refuses %s %s data that Debusine would refuse', (type, task, data, field) => {
    expect(issuesOf(() => validateTask(type, task, data)).map((i) => i.field)).toContain(field);
  });

  it("accepts buildfleet's worker_requirements beside Debusine's fields, and keeps it from the worker", () => {
    const data = taskData('sbuild', { worker_requirements: ['memory_gib>=16'] });
    expect(() => validateTask('Worker', 'sbuild', data)).not.toThrow();
    expect(workerTaskData(data)).toEqual(taskData('sbuild'));
  });
});

describe('requirements of each task', () => {
  it.each([
    ['sbuild', taskData('sbuild'), ['arch:amd64', 'available:sbuild', 'executor:unshare', 'task:sbuild', 'worker-type:external']],
    ['sbuild', taskData('sbuild', { host_architecture: 'arm64', backend: 'auto' }), ['arch:arm64', 'available:sbuild', 'executor:unshare', 'task:sbuild', 'worker-type:external']],
    ['sbuild', taskData('sbuild', { backend: 'incus-lxc' }), ['arch:amd64', 'available:autopkgtest', 'available:sbuild', 'executor:incus-lxc', 'task:sbuild', 'worker-type:external']],
    ['autopkgtest', taskData('autopkgtest', { backend: 'qemu' }), ['arch:amd64', 'available:autopkgtest', 'executor:qemu', 'task:autopkgtest', 'worker-type:external']],
    ['mmdebstrap', taskData('mmdebstrap', { bootstrap_options: { architecture: 'riscv64' } }), ['arch:riscv64', 'available:mmdebstrap', 'task:mmdebstrap', 'worker-type:external']],
    ['noop', {}, ['task:noop', 'worker-type:external']],
    ['lintian', taskData('lintian', { host_architecture: 'amd64' }), ['arch:amd64', 'task:lintian', 'worker-type:external']],
    ['lintian', taskData('lintian'), ['task:lintian', 'worker-type:external']],
  ])('%s with %j needs %j', (taskName, data, tags) => {
    expect(taskRequirements('Worker', taskName, data)).toEqual({ tags, minimums: {} });
  });

  it('sends signing tasks to signing workers and server tasks to the Celery worker', () => {
    expect(taskRequirements('Signing', 'debsign', { unsigned: 1, key: 'ABC' }).tags).toEqual([
      'available:signing:debsign',
      'task:signing:debsign',
      'worker-type:signing',
    ]);
    expect(taskRequirements('Server', 'servernoop', {}).tags).toEqual(['task:server:servernoop', 'worker-type:celery']);
  });
});
