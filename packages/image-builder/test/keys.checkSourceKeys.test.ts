import { checkSourceKeys } from '../src';
import { corruptKey, embedKey, makeSigningKey, stanza } from './helpers';
import { ValidationError } from '@buildfleet/models';

let armored: string;
beforeAll(() => {
  armored = makeSigningKey();
});

const rejection = async (promise: Promise<unknown>): Promise<ValidationError> => {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(error instanceof ValidationError)) throw error;
  return error;
};

describe('checkSourceKeys', () => {
  it('reports the fingerprint, user id and expiry of a real embedded key', async () => {
    const [report] = await checkSourceKeys(stanza({ 'Signed-By': embedKey(armored) }));
    expect(report).toEqual({
      stanza: 1,
      fingerprint: expect.stringMatching(/^[0-9A-F]{40}$/),
      userIds: ['Buildfleet Test Repository <repo@example.invalid>'],
      expires: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('rejects a corrupted key, naming the stanza', async () => {
    const error = await rejection(checkSourceKeys(stanza({ 'Signed-By': embedKey(corruptKey(armored)) })));
    expect(error.issues).toEqual([{ field: 'stanza 1 (line 1) Signed-By', message: expect.stringContaining('gpg cannot read the embedded key') }]);
  });

  it('rejects a key that has expired by the given time', async () => {
    const twoYearsOn = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
    const error = await rejection(checkSourceKeys(stanza({ 'Signed-By': embedKey(armored) }), { now: twoYearsOn }));
    expect(error.message).toMatch(/key [0-9A-F]{40} expired on \d{4}-\d\d-\d\d/);
  });

  it('reports the bad keys of every stanza at once', async () => {
    const bad = stanza({ 'Signed-By': embedKey(corruptKey(armored)) });
    const good = stanza({ 'Signed-By': embedKey(armored) });
    const error = await rejection(checkSourceKeys(`${bad}\n${good}\n${bad}`));
    expect(error.issues.map((i) => i.field)).toEqual([expect.stringMatching(/^stanza 1 /), expect.stringMatching(/^stanza 3 /)]);
  });

  it('has nothing to check when Signed-By names keyrings by path', async () => {
    await expect(checkSourceKeys(stanza())).resolves.toEqual([]);
  });

  it('says how to fix a missing gpg', async () => {
    const error = await rejection(checkSourceKeys(stanza({ 'Signed-By': embedKey(armored) }), { gpg: '/nonexistent/gpg' }));
    expect(error.message).toContain('install gnupg');
  });
});
