import { type Database, generateTokenKey } from '@buildfleet/models';
import express from 'express';
import request from 'supertest';
import { setWorkerEnabled, type WorkerApi, workerApi, type WorkerApiOptions } from '../src';
import { addressKey, AddressRateLimit } from '../src/registration';
import { addPoolMember, expectProblem, recordingLogger, resetDatabase, rows, useDatabase } from './fixtures';

const database = useDatabase();
let db: Database;
const apis: WorkerApi[] = [];

beforeAll(() => {
  db = database.db;
});
beforeEach(() => resetDatabase(db));
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
});

function app(selfRegistration: WorkerApiOptions['selfRegistration']): express.Express {
  const api = workerApi({ db, logger: recordingLogger(), selfRegistration });
  apis.push(api);
  return express().use('/api', api.router);
}

const register = (target: express.Express, fqdn: string) =>
  request(target).post('/api/1.0/worker/register/').send({ token: generateTokenKey(), fqdn });
const staticWorkers = async () => (await rows<{ name: string }>(db, 'select name from workers where worker_pool_id is null order by id')).map((w) => w.name);

describe('registration without an activation token', () => {
  it('is rate-limited per client address, with Retry-After, and writes nothing when refused', async () => {
    const target = app({ perAddressPerHour: 3 });
    for (const n of [1, 2, 3]) await register(target, `b${n}.example.org`).expect(201);

    const refused = await register(target, 'b4.example.org');

    expectProblem(refused, 429, 'Cannot register worker');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3500);
    expect(await staticWorkers()).toEqual(['b1-example-org', 'b2-example-org', 'b3-example-org']);
  });

  it('is capped in workers waiting to be enabled; enabling one makes room', async () => {
    const target = app({ maxPendingWorkers: 2 });
    await register(target, 'a.example.org').expect(201);
    await register(target, 'b.example.org').expect(201);

    const refused = await register(target, 'c.example.org');
    expectProblem(refused, 429, 'Cannot register worker');
    expect(refused.body.detail).toContain('2 registered workers already wait');

    await setWorkerEnabled(db, 'a-example-org', true);
    await register(target, 'c.example.org').expect(201);
    expect(await staticWorkers()).toEqual(['a-example-org', 'b-example-org', 'c-example-org']);
  });

  it('holds the cap across replicas registering at once', async () => {
    const replicas = [app({ maxPendingWorkers: 5, perAddressPerHour: 100 }), app({ maxPendingWorkers: 5, perAddressPerHour: 100 })];

    const answers = await Promise.all(Array.from({ length: 16 }, (_, n) => register(replicas[n % 2]!, `w${n}.example.org`)));

    expect(answers.map((a) => a.status).sort()).toEqual([...Array(5).fill(201), ...Array(11).fill(429)]);
    expect(await staticWorkers()).toHaveLength(5);
  });

  it('can be switched off, while activation tokens still work', async () => {
    const target = app(false);

    const refused = await register(target, 'a.example.org');
    expectProblem(refused, 403, 'Cannot register worker');
    expect(refused.body.detail).toContain('activation');
    expect(await staticWorkers()).toEqual([]);

    const member = await addPoolMember(db, 'cloud', 'cloud-001');
    await request(target)
      .post('/api/1.0/worker/register/')
      .set('token', member.activationKey)
      .send({ token: generateTokenKey(), fqdn: 'x' })
      .expect(201);
  });
});

describe('AddressRateLimit', () => {
  it('allows the hourly number of attempts in any sliding hour', () => {
    let now = 0;
    const limit = new AddressRateLimit(2, () => now);
    expect([limit.take('192.0.2.1'), limit.take('192.0.2.1')]).toEqual([0, 0]);
    now = 1_000;
    expect(limit.take('192.0.2.1')).toBe(3_599_000);
    expect(limit.take('192.0.2.2')).toBe(0);
    now = 3_600_001;
    expect(limit.take('192.0.2.1')).toBe(0);
  });

  it('counts an IPv4-mapped address as its IPv4 address, and IPv6 addresses by their /64', () => {
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff::9')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
