import { debianReleaseSchema, parseInput } from '@buildfleet/models';
import { z } from 'zod';

export const BACKENDS = ['unshare', 'incus-lxc', 'incus-vm', 'qemu'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Tasks that need packages on the worker; any other task name (noop, ...) is accepted and needs nothing. */
export const PROVISIONED_TASKS = ['autopkgtest', 'sbuild', 'mmdebstrap', 'simplesystemimagebuild'] as const;
export type ProvisionedTask = (typeof PROVISIONED_TASKS)[number];

export const RELEASES = ['trixie', 'bookworm'] as const;
export type Release = (typeof RELEASES)[number];

export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const WORKER_SOURCES = ['release', 'backports', 'source'] as const;
export type WorkerSource = (typeof WORKER_SOURCES)[number];

export const TARGETS = ['local', 'aws', 'hetzner'] as const;
export type Target = (typeof TARGETS)[number];

export const DEFAULT_INCUS_BRIDGE_IPV4 = '10.200.0.1/24';

const taskName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a task name is lower-case letters, digits, "-" and "_" (e.g. "sbuild")');

const sortedUnique = <T extends string>(values: T[]): T[] => [...new Set(values)].sort();

const ipv4Cidr = z.string().refine(isHostCidr, {
  message: 'give the bridge address with its prefix, e.g. "10.200.0.1/24" (prefix 8 to 30, not the network or broadcast address)',
});

/**
 * What to build. Field names follow the blueprint's JSON-style options.
 * Invalid input raises a ValidationError naming every offending option.
 */
export const buildOptionsSchema = z
  .strictObject({
    /** A deb822 APT source added to the image (e.g. a debusine-worker development build). (Default: none) */
    source: z.string().min(1, 'give deb822 text, or leave the option out').optional(),
    /** Executors to install and configure. (Default: ["unshare"]) */
    enable_backends: z.array(z.enum(BACKENDS)).default(['unshare']).transform(sortedUnique),
    /** Tasks to install packages for; names other than the four provisioned tasks need nothing. (Default: ["autopkgtest", "sbuild"]) */
    enable_tasks: z.array(taskName).default(['autopkgtest', 'sbuild']).transform(sortedUnique),
    /** Debian release of the image. (Default: "trixie") */
    release: debianReleaseSchema.extract(RELEASES).default('trixie'),
    /** (Default: "amd64") */
    architecture: z.enum(ARCHITECTURES).default('amd64'),
    /**
     * Where debusine-worker comes from: the release, its backports, or the extra `source`.
     * (Default: "release" on trixie, "backports" on bookworm, which has no debusine-worker)
     */
    worker_source: z.enum(WORKER_SOURCES).optional(),
    /**
     * APT release selector (apt_preferences(5)) of the extra `source`, e.g. "o=Debusine", that pins
     * src:debusine to priority 900 so the source wins even with a lower version. (Default: no pin)
     */
    pin: z
      .string()
      .regex(/^[olanvcb]=[^\s,]+(,[olanvcb]=[^\s,]+)*$/, 'use an APT release selector such as "o=Debusine" or "n=trixie"')
      .optional(),
    /** Bake `api-url` into /etc/debusine/worker/config.ini; without it the boot user data writes it. (Default: none) */
    api_url: z.url({ protocol: /^https?$/, error: 'give an http(s) URL such as "https://debusine.example.net/api"' }).optional(),
    /** Address and prefix of the Incus bridge debusinebr0. (Default: "10.200.0.1/24") */
    incus_bridge_ipv4: ipv4Cidr.default(DEFAULT_INCUS_BRIDGE_IPV4),
    /** Where the image is published. (Default: "local") */
    target: z.enum(TARGETS).default('local'),
  })
  .superRefine((options, ctx) => {
    if (options.worker_source === 'source' && !options.source) {
      ctx.addIssue({ code: 'custom', path: ['worker_source'], message: '"source" needs the `source` option: give a deb822 source that provides debusine-worker' });
    }
    if (options.pin && options.worker_source !== 'source') {
      ctx.addIssue({ code: 'custom', path: ['pin'], message: 'the pin makes the extra source\'s debusine-worker win; set worker_source to "source" or drop `pin`' });
    }
    if (options.release === 'bookworm' && options.worker_source === 'release') {
      ctx.addIssue({ code: 'custom', path: ['worker_source'], message: 'bookworm has no debusine-worker; use "backports" or "source"' });
    }
  });

export type BuildOptionsInput = z.input<typeof buildOptionsSchema>;

/** Options after defaults: lists sorted and deduplicated, worker_source resolved. */
export type BuildOptions = Omit<z.output<typeof buildOptionsSchema>, 'worker_source'> & { worker_source: WorkerSource };

export function resolveOptions(input: unknown): BuildOptions {
  const parsed = parseInput(buildOptionsSchema, input ?? {}, 'image build options');
  return { ...parsed, worker_source: parsed.worker_source ?? (parsed.release === 'bookworm' ? 'backports' : 'release') };
}

export function isHostCidr(value: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix < 8 || prefix > 30) return false;
  const address = octets.reduce((n, o) => n * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  const host = address % hostBits;
  return host !== 0 && host !== hostBits - 1;
}
