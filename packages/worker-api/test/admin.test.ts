import { ConflictError, type Database, generateTokenKey, hashTokenKey, NotFoundError, ValidationError } from '@buildfleet/models';
import request from 'supertest';
import { activateStaticWorker, createActivationToken, createStaticWorker, createUserToken, deleteWorker, setWorkerEnabled } from '../src';
import { addPoolMember, addWorker, resetDatabase, row, rows, useApp, useDatabase } from './fixtures';

const database = useDatabase();
const server = useApp(database);
let db: Database;

beforeAll(() => {
  db = database.db;
});
beforeEach(() => resetDatabase(db));

const register = (activationKey: string, key = generateTokenKey()) =>
  request(server.app).post('/api/1.0/worker/register/').set('token', activationKey).send({ token: key, fqdn: 'ignored' });

describe('createStaticWorker', () => {
  it('names the worker after its FQDN and gives an activation key that registers it enabled', async () => {
    const first = await createStaticWorker(db, 'builder.example.org');

    expect(first.worker.name).toBe('builder-example-org');
    expect(first.worker).toMatchObject({ pool: null, enabled: false });
    await register(first.activationKey).expect(201);
    expect(await row(db, `select t.enabled from workers w join tokens t on t.id = w.token_id where w.name = 'builder-example-org'`)).toEqual({
      enabled: true,
    });
  });

  it('refuses an FQDN whose worker exists, pointing at worker activate, and writes nothing', async () => {
    await createStaticWorker(db, 'builder.example.org');

    await expect(createStaticWorker(db, 'builder.example.org')).rejects.toThrow(
      new ValidationError('worker', [
        { field: 'fqdn', message: 'worker "builder-example-org" already exists: give it a new activation token with `buildfleet worker activate builder-example-org`' },
      ]),
    );
    expect(await rows(db, 'select name from workers')).toEqual([{ name: 'builder-example-org' }]);
    expect(await rows(db, 'select id from tokens')).toHaveLength(1);
  });

  it('stores only the hash of the activation key', async () => {
    const { activationKey } = await createStaticWorker(db, 'builder');

    expect(await rows(db, 'select hash from tokens')).toEqual([{ hash: hashTokenKey(activationKey) }]);
  });

  it('refuses a name that is not a host name, naming the field', async () => {
    await expect(createStaticWorker(db, 'not a host')).rejects.toThrow(ValidationError);
    await expect(createStaticWorker(db, 'not a host')).rejects.toThrow(/fqdn/);
    expect(await rows(db, 'select id from workers')).toEqual([]);
  });
});

describe('createActivationToken', () => {
  it('replaces the previous activation key, and expires after its lifetime', async () => {
    const member = await addPoolMember(db, 'cloud', 'cloud-001');
    const fresh = await createActivationToken(db, member.id, 60_000);

    await register(member.activationKey).expect(403);
    const expireIn = await row<{ seconds: number }>(
      db,
      `select extract(epoch from t.expire_at - now())::int as seconds from workers w join tokens t on t.id = w.activation_token_id`,
    );
    expect(expireIn.seconds).toBeGreaterThan(50);
    expect(expireIn.seconds).toBeLessThanOrEqual(60);
    await register(fresh).expect(201);
  });

  it('disables the token of the instance it replaces', async () => {
    const worker = await addWorker(db, { name: 'cloud-001', pool: 'cloud' });

    await createActivationToken(db, worker.id);

    expect(await row(db, `select t.enabled from workers w join tokens t on t.id = w.token_id`)).toEqual({ enabled: false });
  });
});

describe('setWorkerEnabled', () => {
  it('enables a registered worker', async () => {
    await addWorker(db, { name: 'builder', enabled: false });

    await setWorkerEnabled(db, 'builder', true);

    expect(await row(db, 'select t.enabled from workers w join tokens t on t.id = w.token_id')).toEqual({ enabled: true });
  });

  it('refuses an unknown worker and one that has not registered yet', async () => {
    await addPoolMember(db, 'cloud', 'cloud-001');

    await expect(setWorkerEnabled(db, 'nobody', true)).rejects.toThrow(NotFoundError);
    await expect(setWorkerEnabled(db, 'cloud-001', true)).rejects.toThrow(ConflictError);
  });
});

describe('createUserToken', () => {
  it('returns a key whose hash alone is stored, enabled, for that user', async () => {
    const key = await createUserToken(db, { user: 'alice', comment: 'laptop' });

    expect(await rows(db, 'select hash, user_name, comment, enabled from tokens')).toEqual([
      { hash: hashTokenKey(key), user_name: 'alice', comment: 'laptop', enabled: true },
    ]);
  });

  it('names every bad field and writes nothing', async () => {
    const error = await createUserToken(db, { user: '', comment: 'x'.repeat(101), expiresAt: new Date(0) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['user', 'comment', 'expiresAt']);
    expect(await rows(db, 'select id from tokens')).toEqual([]);
  });
});

describe('activateStaticWorker and deleteWorker', () => {
  const getNext = (key: string) => request(server.app).get('/api/1.0/work-request/get-next-for-worker/').set('token', key);

  it('gives a registered static worker a new activation key: it registers again under its name, and its old token stops working', async () => {
    const { activationKey } = await createStaticWorker(db, 'builder.example.org');
    const oldKey = generateTokenKey();
    await register(activationKey, oldKey).expect(201);
    await setWorkerEnabled(db, 'builder-example-org', true);
    expect((await getNext(oldKey)).status).toBe(204);

    const renewed = await activateStaticWorker(db, 'builder-example-org');
    expect((await getNext(oldKey)).status).toBe(403);
    await register(activationKey).expect(403);
    const newKey = generateTokenKey();
    await register(renewed.activationKey, newKey).expect(201);

    expect((await getNext(newKey)).status).toBe(204);
    expect(await rows(db, 'select name from workers')).toEqual([{ name: 'builder-example-org' }]);
    await expect(activateStaticWorker(db, 'nobody')).rejects.toThrow(NotFoundError);
    await addPoolMember(db, 'cloud', 'cloud-001');
    await expect(activateStaticWorker(db, 'cloud-001')).rejects.toThrow(ConflictError);
  });

  it('deletes a worker and its tokens, its key then refused; a pool worker with an instance is refused', async () => {
    const worker = await addWorker(db, { name: 'gone' });
    await deleteWorker(db, 'gone');

    expect((await getNext(worker.key)).status).toBe(403);
    expect(await rows(db, 'select id from tokens')).toEqual([]);
    const pooled = await addWorker(db, { name: 'cloud-002', pool: 'cloud' });
    await expect(deleteWorker(db, 'cloud-002')).rejects.toThrow('terminate it through its pool first');
    expect((await getNext(pooled.key)).status).toBe(204);
  });
});
