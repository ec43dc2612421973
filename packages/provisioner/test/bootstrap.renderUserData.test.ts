import { ValidationError, type WorkerPoolSpecification, hetznerSpecificationSchema } from '@buildfleet/models';
import { parse } from 'yaml';
import { renderUserData } from '../src';

const TOKEN = 'a'.repeat(64);
const API_URL = 'https://debusine.example.net/api';
const DAILY = `Types: deb
URIs: https://freexian-team.pages.debian.net/debusine/repository/
Suites: $RELEASE
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEZ0example
 -----END PGP PUBLIC KEY BLOCK-----
`;

const spec = (fields: Record<string, unknown>): WorkerPoolSpecification =>
  hetznerSpecificationSchema.parse({ provider_type: 'hetzner', server_type: 'cpx22', image_name: 'debian-13', ...fields });

interface CloudConfig {
  apt?: { preserve_sources_list: boolean; sources_list: string };
  write_files: { path: string; content: string; permissions: string; owner?: string }[];
  packages?: string[];
  runcmd: string[][];
}

function render(fields: Record<string, unknown>, options = {}): { text: string; config: CloudConfig; file: (path: string) => string | undefined } {
  const text = renderUserData(spec(fields), TOKEN, { apiUrl: API_URL, dailyBuildsSource: DAILY, ...options });
  expect(text.startsWith('#cloud-config\n')).toBe(true);
  const config = parse(text) as CloudConfig;
  return { text, config, file: (path) => config.write_files.find((f) => f.path === path)?.content };
}

describe('renderUserData', () => {
  it('gives a pre-installed image only the API URL and the token, owned by the worker and private', () => {
    const { config, file } = render({ debusine_install_source: 'pre-installed' });
    expect(config.write_files.map((f) => [f.path, f.permissions])).toEqual([
      ['/etc/debusine/worker/config.ini', '0644'],
      ['/etc/debusine/worker/activation-token', '0600'],
    ]);
    expect(file('/etc/debusine/worker/config.ini')).toContain(`api-url = ${API_URL}`);
    expect(config.packages).toBeUndefined();
  });

  it('installs the worker from the release with its config, the token and the metadata firewall', () => {
    const { config, file, text } = render({ debusine_install_source: 'release', debian_release: 'trixie' });
    expect(config.apt).toBeUndefined();
    expect(config.packages).toEqual(expect.arrayContaining(['debusine-worker', 'nftables', 'sbuild', 'incus']));
    expect(file('/etc/debusine/worker/activation-token')).toBe(`${TOKEN}\n`);
    expect(config.write_files.find((f) => f.path === '/etc/debusine/worker/activation-token')!.permissions).toBe('0600');
    expect(file('/etc/nftables.conf')).toMatch(/ip daddr 169\.254\.169\.254 meta skuid != 0 drop/);
    expect(file('/etc/nftables.conf')).toMatch(/ip6 daddr fd00:ec2::254 drop/);
    expect(config.runcmd[0]).toEqual(['chown', 'debusine-worker:debusine-worker', '/etc/debusine/worker/activation-token']);
    expect(config.runcmd.at(-1)).toEqual(['systemctl', 'restart', 'debusine-worker.service']);
    expect(file('/etc/apt/preferences.d/90-debusine')).toBeUndefined();
    expect(text.split(TOKEN)).toHaveLength(2);
  });

  it('on bookworm, adds backports and pins what the worker needs from there', () => {
    const { config, file } = render({ debusine_install_source: 'release', debian_release: 'bookworm' });
    expect(config.apt!.preserve_sources_list).toBe(false);
    expect(config.apt!.sources_list.trim().split('\n')).toEqual([
      'deb $MIRROR $RELEASE main contrib non-free-firmware',
      'deb $MIRROR $RELEASE-backports main contrib non-free-firmware',
      'deb $SECURITY $RELEASE-security main contrib non-free-firmware',
    ]);
    expect(file('/etc/apt/preferences.d/90-debusine')).toBe(
      'Package: src:autopkgtest src:incus src:python-django src:qemu src:seabios\nPin: release n=bookworm-backports\nPin-Priority: 900\n',
    );
  });

  it('backports pins debusine itself, to stable-backports when no release is set', () => {
    const { file } = render({ debusine_install_source: 'backports' });
    expect(file('/etc/apt/preferences.d/90-debusine')).toBe('Package: src:debusine\nPin: release a=stable-backports\nPin-Priority: 900\n');
  });

  it("daily-builds writes the configured source for the pool's release, not always bookworm", () => {
    const { file } = render({ debusine_install_source: 'daily-builds', debian_release: 'trixie' });
    expect(file('/etc/apt/sources.list.d/debusine.sources')).toContain('Suites: trixie\n');
  });

  it.each([
    ['no source is configured', { debian_release: 'trixie' }, { dailyBuildsSource: undefined }, /needs the deb822 source/],
    ['the source needs a release the pool does not set', {}, {}, /set specifications.debian_release/],
  ])('refuses daily-builds when %s, naming the option', (_name, fields, options, message) => {
    const attempt = () => render({ debusine_install_source: 'daily-builds', ...fields }, options);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
  });
});
