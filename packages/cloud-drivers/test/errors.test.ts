import { awsErrorKind, classifyAwsError } from '../src/aws/errors';
import { ProviderError } from '../src/errors';
import { makeRedactor, userDataSecrets } from '../src/redaction';
import { rateLimitWaitMs } from '../src/hetzner/client';

describe('ProviderError', () => {
  it.each([
    ['rate_limited', true],
    ['transient', true],
    ['capacity', false],
    ['quota', false],
    ['auth', false],
    ['invalid', false],
    ['not_found', false],
  ] as const)('a %s error is retryable: %s', (kind, retryable) => {
    expect(new ProviderError(kind, 'x').retryable).toBe(retryable);
  });
});

describe('makeRedactor', () => {
  it('removes secrets and their base64 form from provider text', () => {
    const redact = makeRedactor(['s3cr3t-token-value', undefined]);
    const b64 = Buffer.from('s3cr3t-token-value').toString('base64');

    expect(redact(`bad token s3cr3t-token-value in ${b64}`)).toBe('bad token [redacted] in [redacted]');
  });

  it('removes single lines of user data, such as the activation token', () => {
    const userData = '#cloud-config\nwrite_files:\n  - content: 0123456789abcdef0123456789abcdef\n';
    const redact = makeRedactor(userDataSecrets(userData));

    expect(redact('cannot parse "content: 0123456789abcdef0123456789abcdef"')).toBe('cannot parse "content: [redacted]"');
    expect(redact('bad token 0123456789abcdef0123456789abcdef')).toBe('bad token [redacted]');
  });
});

describe('EC2 error classification', () => {
  it.each([
    ['InsufficientInstanceCapacity', 'capacity'],
    ['SpotMaxPriceTooLow', 'capacity'],
    ['UnfulfillableCapacity', 'capacity'],
    ['RequestLimitExceeded', 'rate_limited'],
    ['VcpuLimitExceeded', 'quota'],
    ['InstanceLimitExceeded', 'quota'],
    ['MaxSpotInstanceCountExceeded', 'quota'],
    ['UnauthorizedOperation', 'auth'],
    ['AuthFailure', 'auth'],
    ['InternalError', 'transient'],
    ['InvalidInstanceID.NotFound', 'not_found'],
    ['InvalidParameterValue', 'invalid'],
    ['InvalidAMIID.Malformed', 'invalid'],
  ] as const)('classifies %s as %s', (code, kind) => {
    expect(awsErrorKind(code)).toBe(kind);
  });

  it('treats an unknown code with a 5xx status as transient', () => {
    expect(awsErrorKind('SomethingNew', 503)).toBe('transient');
  });

  it('treats a refused connection as transient and an unexpected exception as not retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyAwsError(refused, 'DescribeInstances', (t) => t)).toMatchObject({ kind: 'transient', retryable: true });
    // What the SDK really throws when the endpoint refuses: a plain Error with only a message.
    const wrapped = Object.assign(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'), { $metadata: {} });
    expect(classifyAwsError(wrapped, 'DescribeInstances', (t) => t)).toMatchObject({ kind: 'transient', retryable: true, code: 'ECONNREFUSED' });
    expect(classifyAwsError(new TypeError('oops'), 'DescribeInstances', (t) => t)).toMatchObject({
      kind: 'transient',
      retryable: false,
    });
  });
});

describe('rateLimitWaitMs', () => {
  it('takes Retry-After in seconds', () => {
    expect(rateLimitWaitMs(new Headers({ 'Retry-After': '7' }))).toBe(7000);
  });

  it('without Retry-After, waits until one request is refilled, by the server clock', () => {
    const headers = new Headers({
      Date: 'Thu, 01 Jan 2026 00:00:00 GMT',
      'RateLimit-Limit': '3600',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': String(Date.parse('2026-01-01T01:00:00Z') / 1000),
    });
    expect(rateLimitWaitMs(headers, Date.parse('2030-01-01T00:00:00Z'))).toBe(1000);
  });
});
