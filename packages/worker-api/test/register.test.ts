import { type Database, generateTokenKey, hashTokenKey } from '@buildfleet/models';
import request from 'supertest';
import { addPoolMember, expectProblem, resetDatabase, row, rows, useApp, useDatabase } from './fixtures';

const database = useDatabase();
const server = useApp(database);
let db: Database;

beforeAll(() => {
  db = database.db;
});
beforeEach(() => resetDatabase(db));

const register = (body: object, activationKey?: string) => {
  const call = request(server.app).post('/api/1.0/worker/register/').send(body);
  return activationKey === undefined ? call : call.set('token', activationKey);
};

describe('POST /api/1.0/worker/register/', () => {
  it('gives a pool worker an enabled token for its activation token, keeping its pool name', async () => {
    const member = await addPoolMember(db, 'cloud', 'cloud-001');
    const key = generateTokenKey();

    const response = await register({ token: key, fqdn: 'ip-10-0-0-1.example', worker_type: 'external' }, member.activationKey);

    expect(response.status).toBe(201);
    expect(response.text).toBe('');
    expect(
      await row(db, `select w.name, w.activation_token_id, t.enabled from workers w join tokens t on t.id = w.token_id where w.id = $1`, [
        member.id,
      ]),
    ).toEqual({ name: 'cloud-001', activation_token_id: null, enabled: true });
    expect(await rows(db, 'select 1 from tokens where hash = $1', [hashTokenKey(member.activationKey)])).toEqual([]);
  });

  it('refuses an activation token a second time', async () => {
    const member = await addPoolMember(db, 'cloud', 'cloud-001');
    await register({ token: generateTokenKey(), fqdn: 'a' }, member.activationKey).expect(201);

    const again = await register({ token: generateTokenKey(), fqdn: 'a' }, member.activationKey);

    expectProblem(again, 403, 'Cannot register worker');
    expect(await rows(db, 'select name from workers')).toEqual([{ name: 'cloud-001' }]);
  });

  it('refuses an expired activation token', async () => {
    const member = await addPoolMember(db, 'cloud', 'cloud-001', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expectProblem(await register({ token: generateTokenKey(), fqdn: 'a' }, member.activationKey), 403, 'Cannot register worker');
  });

  it('refuses an unknown token in the header instead of creating a worker', async () => {
    expectProblem(await register({ token: generateTokenKey(), fqdn: 'a' }, generateTokenKey()), 403, 'Cannot register worker');
    expect(await rows(db, 'select name from workers')).toEqual([]);
  });

  it('creates a static worker named after its FQDN, with a token an admin must enable', async () => {
    await register({ token: generateTokenKey(), fqdn: 'builder.example.org' }).expect(201);
    await register({ token: generateTokenKey(), fqdn: 'builder.example.org', worker_type: 'signing' }).expect(201);

    expect(
      await rows(db, `select w.name, w.worker_type, t.enabled from workers w join tokens t on t.id = w.token_id order by w.id`),
    ).toEqual([
      { name: 'builder-example-org', worker_type: 'external', enabled: false },
      { name: 'builder-example-org-2', worker_type: 'signing', enabled: false },
    ]);
  });

  it('refuses a worker token that is already registered', async () => {
    const key = generateTokenKey();
    await register({ token: key, fqdn: 'one' }).expect(201);

    expectProblem(await register({ token: key, fqdn: 'two' }), 409, 'Cannot register worker');
  });

  it.each([
    ['a token longer than 64 characters', { token: 'a'.repeat(65), fqdn: 'x' }, 'token'],
    ['no fqdn', { token: 'a'.repeat(64) }, 'fqdn'],
    ['an unknown worker type', { token: 'a'.repeat(64), fqdn: 'x', worker_type: 'celery' }, 'worker_type'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const response = await register(body);

    expectProblem(response, 400, 'Cannot deserialize worker');
    expect(Object.keys(response.body.validation_errors)).toEqual([field]);
    expect(await rows(db, 'select id from tokens')).toEqual([]);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await request(server.app).post('/api/1.0/worker/register/').set('content-type', 'application/json').send('{"token":');

    expectProblem(response, 400, 'Error');
  });
});
