import { parseSource } from '../src';
import { embedKey, makeSigningKey, stanza, validationErrorOf } from './helpers';

let armored: string;
beforeAll(() => {
  armored = makeSigningKey();
});

describe('parseSource accepts', () => {
  it('a signed source with components', () => {
    const [parsed] = parseSource(stanza()).stanzas;
    expect(parsed).toEqual({
      index: 1,
      line: 1,
      types: ['deb'],
      uris: ['https://deb.example.net/debusine'],
      suites: ['trixie'],
      components: ['main'],
      signedBy: { kind: 'references', paths: ['/usr/share/keyrings/debian-archive-keyring.gpg'], fingerprints: [] },
    });
  });

  it('a flat repository with one suite ending in "/" and no Components', () => {
    const [parsed] = parseSource(stanza({ Suites: './', Components: undefined, URIs: 'copy:///srv/repo' })).stanzas;
    expect(parsed).toMatchObject({ suites: ['./'], components: [], uris: ['copy:///srv/repo'] });
  });

  it('several stanzas with comments, continuation lines and case-insensitive field names', () => {
    const text = `# first\n${stanza({ URIs: 'https://a.example.net/debian\n https://b.example.net/debian' })}\n# second\n${stanza({ Types: 'deb deb-src' }).replace('Suites:', 'suites:')}`;
    const parsed = parseSource(text);
    expect(parsed.stanzas.map((s) => [s.index, s.line, s.uris.length, s.types])).toEqual([
      [1, 2, 2, ['deb']],
      [2, 10, 1, ['deb', 'deb-src']],
    ]);
  });

  it('a fingerprint as Signed-By', () => {
    const [parsed] = parseSource(stanza({ 'Signed-By': 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2' })).stanzas;
    expect(parsed!.signedBy).toEqual({ kind: 'references', paths: [], fingerprints: ['A1B2C3D4E5F6A1B2C3D4E5F6A1B2C3D4E5F6A1B2'] });
  });

  it('an embedded armored key, giving back the key with its empty lines restored', () => {
    const [parsed] = parseSource(stanza({ 'Signed-By': embedKey(armored) })).stanzas;
    expect(parsed!.signedBy).toEqual({ kind: 'embedded', armoredKey: armored.trimEnd() + '\n' });
  });
});

describe('parseSource rejects', () => {
  it.each([
    ['a missing Types', stanza({ Types: undefined }), 'stanza 1 (line 1) Types', 'required'],
    ['a missing URIs', stanza({ URIs: undefined }), 'stanza 1 (line 1) URIs', 'required'],
    ['a missing Suites', stanza({ Suites: undefined }), 'stanza 1 (line 1) Suites', 'required'],
    ['an unknown type', stanza({ Types: 'rpm' }), 'stanza 1 (line 1) Types', 'use deb and/or deb-src'],
    ['an ftp URI', stanza({ URIs: 'ftp://deb.example.net/debian' }), 'stanza 1 (line 1) URIs', 'use an http:// or https:// URI'],
    ['a file: URI', stanza({ URIs: 'file:///srv/repo' }), 'stanza 1 (line 1) URIs', 'use copy:///path'],
    ['Components on a flat repository', stanza({ Suites: './' }), 'stanza 1 (line 1) Components', 'takes no Components'],
    ['two suites on a flat repository', stanza({ Suites: './ other/', Components: undefined }), 'stanza 1 (line 1) Suites', 'exactly one suite'],
    ['a missing Components', stanza({ Components: undefined }), 'stanza 1 (line 1) Components', 'required unless'],
    ['a missing Signed-By', stanza({ 'Signed-By': undefined }), 'stanza 1 (line 1) Signed-By', 'required'],
    ['a relative keyring path', stanza({ 'Signed-By': 'keyring.gpg' }), 'stanza 1 (line 1) Signed-By', 'neither an absolute keyring path'],
    ['Trusted: yes', stanza({ Trusted: 'yes' }), 'stanza 1 (line 1) Trusted', 'weakens signature checking'],
    ['Allow-Insecure: yes', stanza({ 'Allow-Insecure': 'yes' }), 'stanza 1 (line 1) Allow-Insecure', 'weakens'],
    ['Allow-Weak: yes', stanza({ 'Allow-Weak': 'yes' }), 'stanza 1 (line 1) Allow-Weak', 'weakens'],
    ['Allow-Downgrade-To-Insecure: yes', stanza({ 'Allow-Downgrade-To-Insecure': 'yes' }), 'stanza 1 (line 1) Allow-Downgrade-To-Insecure', 'weakens'],
    ['an unknown field', stanza({ Suite: 'trixie' }), 'stanza 1 (line 1) Suite', 'unknown field'],
    ['a field given twice', `${stanza()}Suites: bookworm\n`, 'line 6', 'given twice'],
    ['a continuation line before any field', ` indented\n${stanza()}`, 'line 1', 'continuation line outside a field'],
    ['a line that is not a field', `${stanza()}not a field\n`, 'line 6', 'expected "Field: value"'],
    ['a text with no stanza', '# only a comment\n', 'source', 'no stanza found'],
  ])('%s', (_name, text, field, message) => {
    const error = validationErrorOf(() => parseSource(text));
    expect(error.issues).toContainEqual({ field, message: expect.stringContaining(message) });
  });

  it('an embedded key with a truly empty line instead of " ."', () => {
    const broken = stanza({ 'Signed-By': embedKey(armored).replace('\n .\n', '\n\n') });
    const error = validationErrorOf(() => parseSource(broken));
    expect(error.message).toContain('write empty lines as " ."');
  });

  it('an embedded key without the empty line after the armor header', () => {
    const broken = stanza({ 'Signed-By': embedKey(armored).replace('\n .\n', '\n') });
    const error = validationErrorOf(() => parseSource(broken));
    expect(error.issues).toContainEqual({ field: 'stanza 1 (line 1) Signed-By', message: expect.stringContaining('followed by an empty line, written " ."') });
  });

  it('an embedded key without its END line', () => {
    const broken = stanza({ 'Signed-By': embedKey(armored).replace(/\n -----END PGP PUBLIC KEY BLOCK-----/, '') });
    expect(validationErrorOf(() => parseSource(broken)).message).toContain('no "-----END PGP PUBLIC KEY BLOCK-----" line');
  });

  it('an embedded private key', () => {
    const privateKey = embedKey(armored.replace(/PUBLIC KEY/g, 'PRIVATE KEY'));
    expect(validationErrorOf(() => parseSource(stanza({ 'Signed-By': privateKey }))).message).toContain('a private key or signature is not a keyring');
  });

  it('with every problem of every stanza at once', () => {
    const text = `${stanza({ 'Signed-By': undefined })}\n${stanza({ Trusted: 'yes', URIs: 'ftp://x.example.net/' })}`;
    const error = validationErrorOf(() => parseSource(text));
    expect(error.issues.map((i) => i.field)).toEqual(['stanza 1 (line 1) Signed-By', 'stanza 2 (line 6) URIs', 'stanza 2 (line 6) Trusted']);
  });
});
