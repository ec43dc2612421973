import { nftablesConf, parseSource, renderBootUserData, workerConfigIni } from '@buildfleet/image-builder';
import { type DebianRelease, type InstallSource, ValidationError, type WorkerPoolSpecification } from '@buildfleet/models';
import { stringify } from 'yaml';
import { type BootstrapOptions } from './interfaces';

const TOKEN_PATH = '/etc/debusine/worker/activation-token';
const CONFIG_PATH = '/etc/debusine/worker/config.ini';
const PIN_PATH = '/etc/apt/preferences.d/90-debusine';
const DAILY_SOURCE_PATH = '/etc/apt/sources.list.d/debusine.sources';
const OWNER = 'debusine-worker:debusine-worker';

/** Backported source packages an installation from bookworm needs (the incus backport needs qemu, which needs seabios). */
const BOOKWORM_PINS = ['src:autopkgtest', 'src:incus', 'src:python-django', 'src:qemu', 'src:seabios'];

const PACKAGES = ['autopkgtest', 'ca-certificates', 'debusine-worker', 'gpg', 'incus', 'mmdebstrap', 'nftables', 'sbuild', 'uidmap'];

function installation(spec: WorkerPoolSpecification): { source: InstallSource; release: DebianRelease | undefined } {
  if (spec.provider_type === 'dummy') return { source: 'pre-installed', release: undefined };
  return { source: spec.debusine_install_source, release: spec.debian_release };
}

/**
 * The cloud-init user data of one launch (as Debusine's, without its defects). `pre-installed`
 * images get only the API URL and the token (image-builder's `renderBootUserData`). Every other
 * install source gets the worker's packages, its config.ini, the metadata-endpoint firewall, and
 * the release's apt quirks: on bookworm, backports with pins for what the worker needs from
 * there (`backports` adds `src:debusine`); `daily-builds` adds the configured deb822 source,
 * whose `Suites: $RELEASE` becomes the pool's release. EC2 swap is added by the EC2 driver.
 *
 * The result contains the activation token: it goes to the driver and nowhere else.
 */
export function renderUserData(spec: WorkerPoolSpecification, activationToken: string, options: BootstrapOptions): string {
  const { source, release } = installation(spec);
  if (source === 'pre-installed') return renderBootUserData({ activationToken, apiUrl: options.apiUrl });

  const pins = [...(release === 'bookworm' ? BOOKWORM_PINS : []), ...(source === 'backports' ? ['src:debusine'] : [])];
  const writeFiles: { path: string; content: string; permissions: string; owner?: string }[] = [
    { path: TOKEN_PATH, content: `${activationToken}\n`, permissions: '0600' },
    // The install path runs configure-worker-incus.sh, so guests need the bridge's DHCP and DNS.
    { path: '/etc/nftables.conf', content: nftablesConf(true), permissions: '0755' },
    {
      path: CONFIG_PATH,
      content: workerConfigIni(options.apiUrl),
      permissions: '0644',
    },
  ];
  if (pins.length) {
    const suite = release ? `n=${release}-backports` : 'a=stable-backports';
    writeFiles.push({
      path: PIN_PATH,
      content: `Package: ${pins.join(' ')}\nPin: release ${suite}\nPin-Priority: 900\n`,
      permissions: '0644',
    });
  }
  if (source === 'daily-builds') writeFiles.push({ path: DAILY_SOURCE_PATH, content: dailyBuildsSource(options, release), permissions: '0644' });

  const config = {
    ...(release === 'bookworm'
      ? {
          apt: {
            preserve_sources_list: false,
            sources_list: [
              'deb $MIRROR $RELEASE main contrib non-free-firmware',
              'deb $MIRROR $RELEASE-backports main contrib non-free-firmware',
              'deb $SECURITY $RELEASE-security main contrib non-free-firmware',
              '',
            ].join('\n'),
          },
        }
      : {}),
    package_update: true,
    package_upgrade: true,
    package_reboot_if_required: true,
    bootcmd: [['sh', '-c', 'test -x /usr/bin/eatmydata || (apt-get update && apt-get install -y eatmydata)']],
    write_files: writeFiles,
    packages: PACKAGES,
    runcmd: [
      ['chown', OWNER, TOKEN_PATH],
      ['/usr/share/doc/debusine-worker/examples/configure-worker-incus.sh'],
      ['systemctl', 'enable', 'nftables.service'],
      ['systemctl', 'start', 'nftables.service'],
      ['systemctl', 'restart', 'debusine-worker.service'],
    ],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

function dailyBuildsSource(options: BootstrapOptions, release: DebianRelease | undefined): string {
  const text = options.dailyBuildsSource;
  if (!text) {
    throw ValidationError.single(
      'bootstrap',
      'dailyBuildsSource',
      'a daily-builds pool needs the deb822 source of the daily build repository, with its key inline in Signed-By',
    );
  }
  if (text.includes('$RELEASE') && !release) {
    throw ValidationError.single(
      'bootstrap',
      'dailyBuildsSource',
      'the source says "Suites: $RELEASE" but the pool sets no debian_release; set specifications.debian_release',
    );
  }
  return parseSource(release ? text.replaceAll('$RELEASE', release) : text).text;
}
