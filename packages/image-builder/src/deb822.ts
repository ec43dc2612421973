import { type FieldIssue, ValidationError } from '@buildfleet/models';

/** How a stanza restricts which keys may sign its repository. */
export type SignedBy =
  | { kind: 'embedded'; /** The ASCII-armored public key block, lines unindented. */ armoredKey: string }
  | { kind: 'references'; paths: string[]; fingerprints: string[] };

/** One validated deb822 stanza of the `source` option. */
export interface SourceStanza {
  /** Position among the stanzas, from 1. */
  index: number;
  /** Line of the text where the stanza starts, from 1. */
  line: number;
  types: string[];
  uris: string[];
  suites: string[];
  /** Empty for a flat repository (single suite ending in "/"). */
  components: string[];
  signedBy: SignedBy;
}

export interface AptSource {
  /** The text as given, ending with a newline; written verbatim into the image. */
  text: string;
  stanzas: SourceStanza[];
}

const KNOWN_FIELDS = [
  'Types',
  'URIs',
  'Suites',
  'Components',
  'Architectures',
  'Languages',
  'Targets',
  'PDiffs',
  'By-Hash',
  'Check-Valid-Until',
  'Enabled',
  'Signed-By',
  'Trusted',
  'Allow-Insecure',
  'Allow-Weak',
  'Allow-Downgrade-To-Insecure',
] as const;
const CANONICAL = new Map(KNOWN_FIELDS.map((name) => [name.toLowerCase(), name]));
const INSECURE_FIELDS = ['Trusted', 'Allow-Insecure', 'Allow-Weak', 'Allow-Downgrade-To-Insecure'] as const;

const BEGIN_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END_KEY = '-----END PGP PUBLIC KEY BLOCK-----';
const FINGERPRINT = /^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})!?$/;

interface RawField {
  name: string;
  line: number;
  /** First line's value, then each continuation line with its one leading blank removed. */
  lines: string[];
}

interface RawStanza {
  line: number;
  fields: Map<string, RawField>;
}

/**
 * Parses and validates the `source` option (sources.list(5), deb822 style). Every problem is
 * collected and thrown at once as a ValidationError naming the stanza, the field and the fix.
 */
export function parseSource(text: string): AptSource {
  const issues: FieldIssue[] = [];
  const raw = splitStanzas(text, issues);
  if (raw.length === 0 && issues.length === 0) {
    issues.push({ field: 'source', message: 'no stanza found; give at least Types, URIs, Suites, Components and Signed-By' });
  }
  const stanzas = raw.map((stanza, i) => validateStanza(stanza, i + 1, issues));
  if (issues.length > 0) throw new ValidationError('source (deb822 APT source)', issues);
  return { text: text.endsWith('\n') ? text : `${text}\n`, stanzas: stanzas as SourceStanza[] };
}

function splitStanzas(text: string, issues: FieldIssue[]): RawStanza[] {
  const stanzas: RawStanza[] = [];
  let current: RawStanza | undefined;
  let field: RawField | undefined;
  text.split(/\r?\n/).forEach((content, i) => {
    const line = i + 1;
    if (content.startsWith('#')) return;
    if (content.trim() === '') {
      current = undefined;
      field = undefined;
      return;
    }
    if (/^[ \t]/.test(content)) {
      if (field) field.lines.push(content.slice(1));
      else {
        issues.push({
          field: `line ${line}`,
          message: 'continuation line outside a field; inside a multi-line value (such as an embedded key) write empty lines as " ."',
        });
      }
      return;
    }
    const match = /^([A-Za-z0-9][A-Za-z0-9-]*):(.*)$/.exec(content);
    if (!match) {
      issues.push({ field: `line ${line}`, message: 'expected "Field: value", a comment starting with "#", or an empty line between stanzas' });
      field = undefined;
      return;
    }
    if (!current) {
      current = { line, fields: new Map() };
      stanzas.push(current);
    }
    const name = CANONICAL.get(match[1]!.toLowerCase()) ?? match[1]!;
    if (current.fields.has(name)) {
      issues.push({ field: `line ${line}`, message: `${name} is given twice in the stanza starting at line ${current.line}; keep one` });
      field = undefined;
      return;
    }
    field = { name, line, lines: [match[2]!.trim()] };
    current.fields.set(name, field);
  });
  return stanzas;
}

function validateStanza(stanza: RawStanza, index: number, issues: FieldIssue[]): SourceStanza | undefined {
  const where = `stanza ${index} (line ${stanza.line})`;
  const before = issues.length;
  const problem = (field: string, message: string) => issues.push({ field: `${where} ${field}`, message });
  const words = (name: string) => {
    const field = stanza.fields.get(name);
    return field ? field.lines.join(' ').split(/\s+/).filter(Boolean) : [];
  };
  const required = (name: string, example: string) => {
    const values = words(name);
    if (values.length === 0) problem(name, `required; e.g. "${name}: ${example}"`);
    return values;
  };

  for (const name of stanza.fields.keys()) {
    if (!CANONICAL.has(name.toLowerCase())) problem(name, `unknown field; use one of ${KNOWN_FIELDS.join(', ')}`);
  }

  const types = required('Types', 'deb');
  for (const type of types) {
    if (type !== 'deb' && type !== 'deb-src') problem('Types', `"${type}" is not a source type; use deb and/or deb-src`);
  }

  const uris = required('URIs', 'https://deb.example.net/debian');
  for (const uri of uris) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
    if (scheme === 'file') {
      problem('URIs', `"${uri}": the image build cannot see host paths through file:; use copy:///path for a local repository`);
    } else if (scheme !== 'http' && scheme !== 'https' && scheme !== 'copy') {
      problem('URIs', `"${uri}": use an http:// or https:// URI (copy:/// only for local test repositories)`);
    }
  }

  const suites = required('Suites', 'trixie');
  const components = words('Components');
  const flat = suites.some((suite) => suite.endsWith('/'));
  if (flat) {
    if (suites.length !== 1) problem('Suites', 'a flat repository (suite ending in "/") takes exactly one suite; give it its own stanza');
    if (stanza.fields.has('Components')) problem('Components', 'a flat repository (suite ending in "/") takes no Components; remove the field');
  } else if (suites.length > 0 && components.length === 0) {
    problem('Components', 'required unless the suite is a flat repository path ending in "/"; e.g. "Components: main"');
  }

  const enabled = stanza.fields.get('Enabled')?.lines.join(' ').trim();
  if (enabled !== undefined && enabled !== 'yes' && enabled !== 'no') problem('Enabled', 'use "yes" or "no"');

  for (const name of INSECURE_FIELDS) {
    const value = stanza.fields.get(name)?.lines.join(' ').trim();
    if (value !== undefined && value !== 'no') {
      problem(name, `"${name}: ${value}" weakens signature checking; remove it and let Signed-By name the repository's key`);
    }
  }

  const signedBy = parseSignedBy(stanza.fields.get('Signed-By'), (message) => problem('Signed-By', message));
  if (issues.length > before || !signedBy) return undefined;
  return { index, line: stanza.line, types, uris, suites, components: flat ? [] : components, signedBy };
}

function parseSignedBy(field: RawField | undefined, problem: (message: string) => void): SignedBy | undefined {
  if (!field || field.lines.every((l) => l.trim() === '')) {
    problem(
      'required, so only the repository\'s own key is trusted: embed its armored public key (lines indented by one space, empty lines as " ."), or give an absolute keyring path or a fingerprint',
    );
    return undefined;
  }
  if (field.lines.some((l) => l.includes('-----BEGIN PGP'))) return parseEmbeddedKey(field, problem);

  const tokens = field.lines.join(' ').split(/[\s,]+/).filter(Boolean);
  const paths: string[] = [];
  const fingerprints: string[] = [];
  for (const token of tokens) {
    if (token.startsWith('/')) paths.push(token);
    else if (FINGERPRINT.test(token)) fingerprints.push(token.toUpperCase());
    else problem(`"${token}" is neither an absolute keyring path, a key fingerprint, nor an embedded armored key`);
  }
  return { kind: 'references', paths, fingerprints };
}

function parseEmbeddedKey(field: RawField, problem: (message: string) => void): SignedBy | undefined {
  const lines = field.lines.map((l) => l.trimEnd()).map((l) => (l === '.' ? '' : l));
  if (lines[0] === '') lines.shift();
  const lineOf = (i: number) => field.line + i + (field.lines[0]!.trim() === '' ? 1 : 0);
  let failures = 0;
  const fail = (message: string) => {
    failures++;
    problem(message);
  };

  if (lines[0] !== BEGIN_KEY) {
    fail(`the embedded key must start with "${BEGIN_KEY}" (a private key or signature is not a keyring)`);
    return undefined;
  }
  const end = lines.indexOf(END_KEY);
  if (end === -1) fail(`the embedded key has no "${END_KEY}" line; indent every key line by one space`);
  if (end !== -1 && lines.slice(end + 1).some((l) => l !== '')) fail('only one key block may be embedded, with nothing after its END line');

  let i = 1;
  while (i < lines.length && /^[A-Za-z][A-Za-z-]*: /.test(lines[i]!)) i++;
  if (lines[i] !== '') {
    fail(`line ${lineOf(i)}: the armor header must be followed by an empty line, written " ." in deb822`);
  } else i++;
  const bodyEnd = end === -1 ? lines.length : end;
  for (; i < bodyEnd; i++) {
    if (!/^=?[A-Za-z0-9+/]+=*$/.test(lines[i]!)) {
      fail(`line ${lineOf(i)}: not part of an armored key (base64 expected); empty lines inside the key are written " ."`);
      break;
    }
  }
  if (failures > 0) return undefined;
  return { kind: 'embedded', armoredKey: `${lines.slice(0, end + 1).join('\n')}\n` };
}
