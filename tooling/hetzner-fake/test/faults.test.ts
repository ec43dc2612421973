import { type HetznerFake } from '../src';
import { client, serverBody, withFake } from './helpers';

let fake: HetznerFake;
let api: ReturnType<typeof client>;

afterEach(() => fake.close());

describe('failNext', () => {
  beforeEach(async () => {
    fake = await withFake();
    api = client(fake);
  });

  it('answers 429 with Retry-After and RateLimit-Remaining 0, then succeeds', async () => {
    fake.failNext({ method: 'GET', path: '/servers', status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 7 });
    const limited = await api('GET', '/servers');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.body.error).toEqual({ code: 'rate_limit_exceeded', message: 'Error when sending too many requests.', details: {} });
    expect((await api('GET', '/servers')).status).toBe(200);
  });

  it('fails with a 5xx the given number of times, then succeeds', async () => {
    fake.failNext({ path: /^\/v1\/servers$/, status: 503, code: 'unavailable', times: 2 });
    expect((await api('GET', '/servers')).status).toBe(503);
    const second = await api('GET', '/servers');
    expect(second.status).toBe(503);
    expect(second.body.error.code).toBe('unavailable');
    expect(second.headers.get('retry-after')).toBeNull();
    expect((await api('GET', '/servers')).status).toBe(200);
  });

  it('fails a server create with 412 resource_unavailable and creates nothing', async () => {
    fake.failNext({ method: 'POST', path: '/v1/servers', status: 412, code: 'resource_unavailable', message: 'server type cx22 is sold out' });
    const res = await api('POST', '/servers', serverBody());
    expect(res.status).toBe(412);
    expect(res.body.error).toMatchObject({ code: 'resource_unavailable', message: 'server type cx22 is sold out' });
    expect(fake.state.servers).toEqual([]);
    expect((await api('POST', '/servers', serverBody())).status).toBe(201);
  });

  it('leaves requests that do not match the rule alone', async () => {
    fake.failNext({ method: 'POST', path: '/servers', status: 500, code: 'server_error' });
    expect((await api('GET', '/servers')).status).toBe(200);
    expect((await api('GET', '/server_types')).status).toBe(200);
    expect((await api('POST', '/servers', serverBody())).status).toBe(500);
  });

  it('records every request, failed or not, without its token', async () => {
    fake.failNext({ status: 500, code: 'server_error' });
    await api('GET', '/servers?label_selector=a%3Db&id=1&id=2');
    await api('POST', '/servers', serverBody());
    expect(fake.requests).toEqual([
      { method: 'GET', path: '/v1/servers', query: { label_selector: 'a=b', id: ['1', '2'] }, body: undefined, status: 500 },
      expect.objectContaining({ method: 'POST', path: '/v1/servers', body: serverBody(), status: 201 }),
    ]);
  });

  it.each([
    ['a success status', { status: 200, code: 'x' }],
    ['no code', { status: 500, code: '' }],
    ['zero times', { status: 500, code: 'server_error', times: 0 }],
  ])('refuses a rule with %s', (_case, rule) => {
    expect(() => fake.failNext(rule)).toThrow(/failNext/);
  });
});

describe('rate limit', () => {
  it('puts RateLimit headers on every response, counting down', async () => {
    fake = await withFake();
    api = client(fake);
    const first = await api('GET', '/locations');
    const second = await api('GET', '/locations');
    expect(first.headers.get('ratelimit-limit')).toBe('3600');
    expect(Number(first.headers.get('ratelimit-remaining')) - Number(second.headers.get('ratelimit-remaining'))).toBe(1);
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(1_000_000_000);
  });

  it('answers 429 rate_limit_exceeded once the limit is used up and recovers as the window refills', async () => {
    let now = Date.UTC(2026, 0, 1);
    fake = await withFake({ rateLimit: { limit: 3, windowMs: 3_000 }, clock: () => now });
    api = client(fake);
    for (let i = 0; i < 3; i++) expect((await api('GET', '/servers')).status).toBe(200);
    const limited = await api('GET', '/servers');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toBe(String(Math.ceil((now + 3_000) / 1000)));
    now += 1_000;
    expect((await api('GET', '/servers')).status).toBe(200);
  });

  it('counts unauthenticated requests too', async () => {
    fake = await withFake({ rateLimit: { limit: 1, windowMs: 60_000 } });
    expect((await client(fake, 'wrong')('GET', '/servers')).status).toBe(401);
    expect((await client(fake)('GET', '/servers')).status).toBe(429);
  });
});

describe('latency', () => {
  it('delays every response by at least latencyMs', async () => {
    fake = await withFake({ latencyMs: 150 });
    api = client(fake);
    const started = performance.now();
    await api('GET', '/servers');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});
