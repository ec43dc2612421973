import { startHetznerFake, type HetznerFake } from '@buildfleet/hetzner-fake';
import { type CloudDriver, createDriver, type LaunchProgress, makeRedactor, ProviderError, redactingDriver, REDACTED } from '../src';
import { hetznerSpecification, spec } from './hetzner';

const TOKEN = 'Hz-Token-AbCdEf0123456789-GhIjKl9876543210';

/** Every form of the token a provider might echo; none may survive redaction. */
const ECHOES = [
  TOKEN,
  TOKEN.toLowerCase(),
  TOKEN.toUpperCase(),
  Buffer.from(TOKEN).toString('base64'),
  Buffer.from(TOKEN.toLowerCase()).toString('base64url'),
  encodeURIComponent(TOKEN),
  Buffer.from(TOKEN).toString('hex'),
  TOKEN.slice(5, 25),
];

/** The token, case-insensitively, or any 12-character run of it. */
function leaks(text: string): boolean {
  const lower = text.toLowerCase();
  const token = TOKEN.toLowerCase();
  for (let i = 0; i + 12 <= token.length; i++) if (lower.includes(token.slice(i, i + 12))) return true;
  return ECHOES.some((echo) => lower.includes(echo.toLowerCase()));
}

describe('makeRedactor', () => {
  it.each(ECHOES.map((echo, i) => [i, echo]))('removes echo #%s of a credential, whatever its case or encoding', (_i, echo) => {
    const redact = makeRedactor([TOKEN]);

    const out = redact(`the token "${echo}" is not valid`);

    expect(out).toBe(`the token "${REDACTED}" is not valid`);
  });

  it('caps the text it returns', () => {
    const redact = makeRedactor([TOKEN], { maxLength: 40 });

    const out = redact(`${'x'.repeat(100)} ${TOKEN}`);

    expect(out).toHaveLength(40);
    expect(out.endsWith('…')).toBe(true);
  });

  it('leaves ordinary text alone and ignores secrets too short to tell from words', () => {
    const redact = makeRedactor([TOKEN, 'abc']);

    expect(redact('server type cx22 is unavailable in fsn1 (abc)')).toBe('server type cx22 is unavailable in fsn1 (abc)');
  });
});

/** A driver that fails everything with the credential in code, message and details (a test double of a leaky provider). */
function echoingDriver(echo: string): CloudDriver {
  const error = (userData = '') =>
    new ProviderError('auth', `rejected ${echo}`, { code: `bad_token_${echo}`, details: { [echo]: [echo, { token: echo, userData }] } });
  return {
    providerType: 'hetzner',
    launch: async (specs, opts) => {
      for (const s of specs) opts?.onProgress?.({ type: 'retrying', workerName: s.workerName, attempt: 1, delayMs: 1, error: error(s.userData) });
      return { launched: [], failed: specs.map((s) => ({ workerName: s.workerName, error: error(s.userData) })) };
    },
    terminate: () => Promise.reject(error()),
    list: () => Promise.reject(new TypeError(`driver bug with ${echo}`)),
  };
}

describe('redactingDriver', () => {
  it.each(ECHOES.map((echo, i) => [i, echo]))(
    'keeps echo #%s of the credential (and the user data launched) out of every error of launch, progress, terminate and list',
    async (_i, echo) => {
      const driver = redactingDriver(echoingDriver(echo), { api_token: TOKEN });
      const progress: LaunchProgress[] = [];

      const launched = await driver.launch([spec('w-1')], { onProgress: (event) => progress.push(event) });
      const terminated = await driver.terminate('1').catch((e: unknown) => e);
      const listed = await driver.list().catch((e: unknown) => e);

      const errors = [...launched.failed.map((f) => f.error), ...progress.map((p) => ('error' in p ? p.error : null)), terminated, listed];
      expect(errors.every((e) => e instanceof ProviderError)).toBe(true);
      for (const e of errors as ProviderError[]) {
        const text = JSON.stringify({ message: e.message, code: e.code, details: e.details });
        expect(leaks(text)).toBe(false);
        expect(text).not.toContain('hz-activation-0123456789abcdef');
      }
      expect(listed).toMatchObject({ kind: 'transient', retryable: false });
    },
  );
});

describe('a Hetzner API that echoes the token in its errors', () => {
  let fake: HetznerFake;
  let driver: CloudDriver;
  beforeEach(async () => {
    fake = await startHetznerFake({ token: TOKEN });
    driver = createDriver(
      { name: 'hz', providerType: 'hetzner', configuration: { api_url: fake.url }, credentials: { api_token: TOKEN } },
      { name: 'hetzner-amd64', specifications: hetznerSpecification() },
      'test',
      { retry: { attempts: 1 } },
    );
  });
  afterEach(() => fake.close());

  it.each(ECHOES.map((echo, i) => [i, echo]))('reports echo #%s in code, message and details redacted', async (_i, echo) => {
    const rule = { status: 422, code: `invalid_input_${echo}`, message: `token ${echo} rejected`, details: { fields: [{ name: echo, messages: [echo] }], echo } };
    fake.failNext({ method: 'POST', path: '/servers', ...rule });
    fake.failNext({ method: 'GET', path: '/servers', ...rule, times: 2 });
    fake.failNext({ method: 'DELETE', ...rule });

    const launched = await driver.launch([spec('hz-echo-1')]);
    const listed = await driver.list().then(
      () => undefined,
      (e: unknown) => e as ProviderError,
    );
    const terminated = await driver.terminate('1').catch((e: unknown) => e as ProviderError);

    const errors = [launched.failed[0]?.error, listed, terminated];
    expect(errors.map((e) => e?.kind)).toEqual(['invalid', 'invalid', 'invalid']);
    for (const e of errors) expect(leaks(JSON.stringify({ message: e?.message, code: e?.code, details: e?.details }))).toBe(false);
  });
});
