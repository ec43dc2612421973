import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { BACKENDS, plan, PROVISIONED_TASKS, renderBootUserData, renderBuildUserData, renderMmdebstrap, renderProvisionScript } from '../src';
import { embedKey, makeSigningKey, stanza, validationErrorOf } from './helpers';

const everything = () =>
  plan({
    release: 'bookworm',
    enable_backends: [...BACKENDS],
    enable_tasks: [...PROVISIONED_TASKS],
    api_url: 'https://debusine.example.net/api',
    source: stanza({ 'Signed-By': embedKey(makeSigningKey()) }),
    worker_source: 'source',
    pin: 'o=Debusine',
  });

function bashSyntaxErrors(script: string): string {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return result.status === 0 ? '' : result.stderr;
}

describe('renderProvisionScript', () => {
  it.each([
    ['the defaults', () => plan({})],
    ['every option at once', everything],
  ])('is valid bash for %s', (_name, makePlan) => {
    expect(bashSyntaxErrors(renderProvisionScript(makePlan()))).toBe('');
  });

  it('installs every package without recommends, keeping our conffiles, only outside the chroot', () => {
    const buildPlan = plan({ enable_backends: ['incus-lxc'] });
    const script = renderProvisionScript(buildPlan);
    const apt = script.slice(script.indexOf('if [ "$chroot" = 0 ]; then\n  log "packages"'), script.indexOf('log "files"'));
    expect(apt).toContain('apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold');
    for (const pkg of buildPlan.packages) expect(apt).toMatch(new RegExp(`^    ${pkg.name}( \\\\)?$`, 'm'));
  });

  it('writes the apt files before installing and the plan files after, with their modes and owners', () => {
    const script = renderProvisionScript(plan({ api_url: 'https://debusine.example.net/api' }));
    expect(script.indexOf("write_file /etc/apt/sources.list.d/debian.sources 0644 root:root <<'BUILDFLEET_EOF'")).toBeLessThan(script.indexOf('apt-get'));
    expect(script.indexOf("write_file /etc/nftables.conf 0755 root:root <<'BUILDFLEET_EOF'\n#!/usr/sbin/nft -f\n")).toBeGreaterThan(script.indexOf(' install '));
    expect(script).toContain("write_file /etc/debusine/worker/config.ini 0644 debusine-worker:debusine-worker <<'BUILDFLEET_EOF'\n[General]\n");
  });

  it('adds groups, enables services and skips build-instance cleanup in the chroot', () => {
    const script = renderProvisionScript(plan({ enable_backends: ['unshare', 'qemu'] }));
    expect(script).toContain('usermod --append --groups kvm,sbuild debusine-worker');
    expect(script).toContain('systemctl enable debusine-worker.service nftables.service');
    expect(script).toContain('if [ "$chroot" = 0 ]; then\n  cloud-init clean --logs --seed\nfi');
    expect(script).toContain("printf %s 'uninitialized\n' >/etc/machine-id");
    expect(script).toContain('rm -rf -- /etc/ssh/ssh_host_*');
  });

  it('carries the plan digest so an image can be traced to its plan', () => {
    expect(renderProvisionScript(plan({}))).toMatch(/^# Provisions a debusine-worker image: buildfleet plan [0-9a-f]{64}$/m);
  });
});

describe('renderBuildUserData', () => {
  it('is #cloud-config YAML that runs the same script and powers off only on success', () => {
    const buildPlan = plan({ target: 'hetzner' });
    const userData = renderBuildUserData(buildPlan);
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    const document = parse(userData) as Record<string, unknown>;
    expect(document).toEqual({
      write_files: [{ path: '/run/buildfleet/provision.sh', owner: 'root:root', permissions: '0700', content: renderProvisionScript(buildPlan) }],
      runcmd: [['bash', '-c', '/run/buildfleet/provision.sh && touch /run/buildfleet/provisioned']],
      power_state: { mode: 'poweroff', message: expect.any(String), condition: 'test -e /run/buildfleet/provisioned' },
    });
  });
});

describe('renderMmdebstrap', () => {
  it('builds with debefivm-create, passing the packages, hooks and base sources through to mmdebstrap', () => {
    const buildPlan = everything();
    const { argv, mmdebstrapArgs, staging, packageList } = renderMmdebstrap(buildPlan, '/srv/out/worker.raw');
    // Flags as debvm 0.4.5's debefivm-create(1) spells them; the kernel comes from --include.
    expect(argv.slice(0, 9)).toEqual([
      'debefivm-create',
      '--architecture=amd64',
      '--release=bookworm',
      '--imagesize=4G',
      '--hostname=debusine-worker',
      '--skip=kernel',
      '--skip=autologin',
      '--output=/srv/out/worker.raw',
      '--',
    ]);
    expect(argv.slice(9)).toEqual(mmdebstrapArgs);
    expect(mmdebstrapArgs).toEqual([
      `--include=${[...buildPlan.packages.map((p) => p.name), 'linux-image-cloud-amd64'].join(',')}`,
      '--setup-hook=upload /srv/out/worker.raw.staging/buildfleet-extra.sources /etc/apt/sources.list.d/buildfleet-extra.sources',
      '--setup-hook=upload /srv/out/worker.raw.staging/80-buildfleet-source /etc/apt/preferences.d/80-buildfleet-source',
      '--setup-hook=upload /srv/out/worker.raw.staging/90-debusine /etc/apt/preferences.d/90-debusine',
      '--customize-hook=rm -f "$1/etc/apt/sources.list.d/0000debian.sources"',
      '--customize-hook=upload /srv/out/worker.raw.staging/provision.sh /tmp/buildfleet-provision.sh',
      '--customize-hook=chroot "$1" bash /tmp/buildfleet-provision.sh --chroot',
      '--customize-hook=rm -f "$1/tmp/buildfleet-provision.sh"',
      '--customize-hook=dpkg-query --admindir="$1/var/lib/dpkg" --show --showformat=\'${Package}\\t${Version}\\n\' >/srv/out/worker.raw.staging/packages.tsv',
      '/srv/out/worker.raw.staging/debian.sources',
    ]);
    expect(packageList).toBe('/srv/out/worker.raw.staging/packages.tsv');
    expect(staging.dir).toBe('/srv/out/worker.raw.staging');
    expect(staging.files.map((f) => f.name)).toEqual(['debian.sources', 'buildfleet-extra.sources', '80-buildfleet-source', '90-debusine', 'provision.sh']);
    expect(staging.files.find((f) => f.name === 'provision.sh')!.content).toBe(renderProvisionScript(buildPlan));
  });

  it('refuses paths that would split into several hook words', () => {
    expect(() => renderMmdebstrap(plan({}), '/srv/my images/worker.raw')).toThrow('outputPath "/srv/my images/worker.raw": use a path without blanks');
  });
});

describe('renderBootUserData', () => {
  const activationToken = 'c0ffee'.repeat(10) + 'beef';

  it('writes config.ini, the activation token (0600, debusine-worker) and restarts the worker', () => {
    const userData = renderBootUserData({ apiUrl: 'https://debusine.example.net/api', activationToken });
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    expect(parse(userData)).toEqual({
      write_files: [
        { path: '/etc/debusine/worker/config.ini', owner: 'debusine-worker:debusine-worker', permissions: '0644', content: expect.stringContaining('api-url = https://debusine.example.net/api\n') },
        { path: '/etc/debusine/worker/activation-token', owner: 'debusine-worker:debusine-worker', permissions: '0600', content: `${activationToken}\n` },
      ],
      runcmd: [['systemctl', 'restart', 'debusine-worker.service']],
    });
  });

  it('contains the token only in the token file entry', () => {
    const userData = renderBootUserData({ apiUrl: 'https://debusine.example.net/api', activationToken });
    expect(userData.split(activationToken)).toHaveLength(2);
    const document = parse(userData) as { write_files: { path: string; content: string }[] };
    expect(document.write_files.filter((f) => f.content.includes(activationToken)).map((f) => f.path)).toEqual(['/etc/debusine/worker/activation-token']);
  });

  it('leaves config.ini to the image when api_url was baked', () => {
    const document = parse(renderBootUserData({ activationToken })) as { write_files: { path: string }[] };
    expect(document.write_files.map((f) => f.path)).toEqual(['/etc/debusine/worker/activation-token']);
  });

  it('rejects a malformed token without echoing it', () => {
    const secret = 'secret-token\nwith-a-newline';
    const error = validationErrorOf(() => renderBootUserData({ activationToken: secret, apiUrl: 'not a url' }));
    expect(error.issues.map((i) => i.field)).toEqual(['activationToken', 'apiUrl']);
    expect(error.message).not.toContain('secret-token');
  });
});
