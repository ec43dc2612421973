import { BACKENDS, type BuildOptionsInput, canonicalJson, plan, planDigest, PROVISIONED_TASKS } from '../src';
import { embedKey, makeSigningKey, stanza, validationErrorOf } from './helpers';

const VARIANTS: [string, BuildOptionsInput][] = [
  ['defaults', {}],
  ...BACKENDS.map((backend): [string, BuildOptionsInput] => [`backend ${backend}`, { enable_backends: [backend] }]),
  ...[...PROVISIONED_TASKS, 'noop'].map((task): [string, BuildOptionsInput] => [`task ${task}`, { enable_tasks: [task] }]),
  ['bookworm', { release: 'bookworm' }],
  ['bookworm with every backend and task', { release: 'bookworm', enable_backends: [...BACKENDS], enable_tasks: [...PROVISIONED_TASKS] }],
  ['arm64 on hetzner with incus-vm', { architecture: 'arm64', target: 'hetzner', enable_backends: ['unshare', 'incus-vm'] }],
  ['aws with a baked api_url', { target: 'aws', api_url: 'https://debusine.example.net/api' }],
];

describe('plan', () => {
  it.each(VARIANTS)('matches the reviewed plan for %s', (_name, options) => {
    expect(plan(options)).toMatchSnapshot();
  });

  it.each(VARIANTS)('gives every package of %s a reason and the options that need it', (_name, options) => {
    for (const pkg of plan(options).packages) {
      expect(pkg.reason).not.toBe('');
      expect(pkg.needed_by.length).toBeGreaterThan(0);
    }
  });

  it('is deterministic: same options, same plan and digest, whatever the list order', () => {
    const a = plan({ enable_tasks: ['sbuild', 'mmdebstrap', 'sbuild'], enable_backends: ['qemu', 'unshare'] });
    const b = plan({ enable_backends: ['unshare', 'qemu'], enable_tasks: ['mmdebstrap', 'sbuild'] });
    expect(a).toEqual(b);
    expect(planDigest(a)).toBe(planDigest(b));
    expect(planDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(planDigest(plan({}))).not.toBe(planDigest(a));
  });

  it('digests canonical JSON, independent of key order', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });

  it('expects the default worker to report unshare, autopkgtest and sbuild and nothing else', () => {
    expect(plan({}).expect.metadata).toEqual({
      'autopkgtest:available': true,
      'executor:incus-lxc:available': false,
      'executor:incus-vm:available': false,
      'executor:qemu:available': false,
      'executor:unshare:available': true,
      'mmdebstrap:available': false,
      'sbuild:available': true,
      'simplesystemimagebuild:available': false,
    });
  });

  it('warns and expects no VM executors on a target without /dev/kvm', () => {
    const hetzner = plan({ target: 'hetzner', enable_backends: ['incus-vm', 'qemu'] });
    expect(hetzner.warnings.map((w) => w.code)).toEqual(['NoKvmOnTarget']);
    expect(hetzner.expect.metadata).toMatchObject({ 'executor:incus-vm:available': false, 'executor:qemu:available': false, 'executor:incus-lxc:available': true });
    expect(plan({ target: 'local', enable_backends: ['incus-vm'] }).expect.metadata['executor:incus-vm:available']).toBe(true);
  });

  it('pins bookworm to backports, including debusine, and takes those packages from there', () => {
    const bookworm = plan({ release: 'bookworm' });
    expect(bookworm.options.worker_source).toBe('backports');
    expect(bookworm.apt.preferences).toEqual([
      expect.objectContaining({
        path: '/etc/apt/preferences.d/90-debusine',
        content: 'Package: src:autopkgtest src:debusine src:incus src:python-django src:qemu src:sbuild src:seabios\nPin: release n=bookworm-backports\nPin-Priority: 900\n',
      }),
    ]);
    expect(bookworm.packages.filter((p) => p.suite).map((p) => p.name)).toEqual(['autopkgtest', 'debusine-worker', 'sbuild']);
    expect(bookworm.apt.sources[0]!.content).toContain('Suites: bookworm bookworm-updates bookworm-backports\n');
  });

  it('writes the firewall over the nftables conffile without flushing other tables', () => {
    const firewall = plan({}).files.find((f) => f.path === '/etc/nftables.conf')!;
    expect(firewall.replaces_conffile_of).toBe('nftables');
    expect(firewall.content).not.toMatch(/^\s*flush ruleset/m);
    expect(firewall.content).toContain('ip daddr 169.254.169.254 meta skuid != 0 drop');
  });

  it('initialises Incus at first boot with the explicit bridge subnet', () => {
    const incus = plan({ enable_backends: ['incus-lxc'], incus_bridge_ipv4: '10.42.7.1/24' });
    expect(incus.files.find((f) => f.path === '/etc/buildfleet/incus-preseed.yaml')!.content).toContain('ipv4.address: 10.42.7.1/24');
    expect(incus.services.map((s) => s.unit)).toContain('buildfleet-incus-init.service');
    expect(incus.users[0]!.groups.map((g) => g.group)).toEqual(['incus-admin', 'sbuild']);
  });

  it('bakes config.ini only when api_url is given', () => {
    expect(plan({}).files.some((f) => f.path.endsWith('config.ini'))).toBe(false);
    const baked = plan({ api_url: 'https://debusine.example.net/api' }).files.find((f) => f.path === '/etc/debusine/worker/config.ini');
    expect(baked?.content).toContain('api-url = https://debusine.example.net/api\n');
  });

  it('adds the extra source and its pin, warning when a source-provided worker has no pin', () => {
    const source = stanza({ 'Signed-By': embedKey(makeSigningKey()) });
    expect(plan({ source, worker_source: 'source' }).warnings.map((w) => w.code)).toEqual(['SourceWithoutPin']);
    const pinned = plan({ source, worker_source: 'source', pin: 'o=Debusine' });
    expect(pinned.apt.sources.map((s) => s.path)).toEqual(['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list.d/buildfleet-extra.sources']);
    expect(pinned.apt.sources[1]!.content).toBe(source);
    expect(pinned.apt.preferences[0]!.content).toBe('Package: src:debusine\nPin: release o=Debusine\nPin-Priority: 900\n');
    expect(pinned.warnings).toEqual([]);
  });

  it.each([
    ['publish steps for local', 'local', ['debefivm-create', 'qemu-img-convert']],
    ['publish steps for aws', 'aws', ['DescribeImages', 'RunInstances', 'WaitInstanceStopped', 'CreateImage', 'WaitImageAvailable', 'CreateTags', 'TerminateInstances']],
    ['publish steps for hetzner', 'hetzner', ['create_server', 'wait_server_off', 'create_image', 'delete_server']],
  ] as const)('orders the %s', (_name, target, steps) => {
    expect(plan({ target }).publish.map((s) => s.step)).toEqual(steps);
  });
});

describe('plan rejects', () => {
  it.each([
    ['an unknown option, suggesting the right one', { enable_backend: ['unshare'] }, 'enable_backend', 'did you mean "enable_backends"?'],
    ['an unknown backend', { enable_backends: ['docker'] }, 'enable_backends[0]', 'unshare'],
    ['a task name that is not a slug', { enable_tasks: ['Sbuild!'] }, 'enable_tasks[0]', 'task name'],
    ['an unsupported release', { release: 'forky' }, 'release', 'bookworm'],
    ['worker_source "source" without a source', { worker_source: 'source' }, 'worker_source', 'needs the `source` option'],
    ['a pin without a source-provided worker', { source: stanza(), pin: 'o=Debusine' }, 'pin', 'worker_source to "source"'],
    ['debusine-worker from bookworm itself', { release: 'bookworm', worker_source: 'release' }, 'worker_source', 'bookworm has no debusine-worker'],
    ['a bridge address that is the network address', { incus_bridge_ipv4: '10.200.0.0/24' }, 'incus_bridge_ipv4', '10.200.0.1/24'],
    ['an api_url that is not http(s)', { api_url: 'ftp://debusine.example.net/api' }, 'api_url', 'http(s) URL'],
    ['a source whose Signed-By keyring the image lacks', { source: stanza({ 'Signed-By': '/etc/apt/keyrings/x.gpg' }) }, 'stanza 1 (line 1) Signed-By', 'embed the armored key'],
    ['an invalid source', { source: stanza({ Trusted: 'yes' }) }, 'stanza 1 (line 1) Trusted', 'weakens'],
  ])('%s', (_name, options, field, message) => {
    const error = validationErrorOf(() => plan(options));
    expect(error.issues).toContainEqual({ field, message: expect.stringContaining(message) });
  });
});
