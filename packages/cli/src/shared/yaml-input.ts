import { readFile } from 'node:fs/promises';
import { type FieldIssue, ValidationError } from '@buildfleet/models';
import { LineCounter, parseDocument } from 'yaml';

/** A YAML document given as `--flag FILE`, or `--flag -` for standard input. */
export const STDIN = '-';

/**
 * Reads and parses the YAML named by each given flag (`{ specifications: 'spec.yaml' }`),
 * reporting every problem at once and naming its flag. At most one flag may read stdin.
 */
export async function readYamlFlags<K extends string>(
  sources: Partial<Record<K, string>>,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Partial<Record<K, unknown>>> {
  const given = (Object.entries(sources) as [K, string | undefined][]).filter(
    (entry): entry is [K, string] => entry[1] !== undefined,
  );
  const fromStdin = given.filter(([, source]) => source === STDIN).map(([flag]) => `--${flag}`);
  if (fromStdin.length > 1) {
    throw ValidationError.single(
      'input',
      fromStdin.join(', '),
      `only one of these can read standard input ("-"); give the others as files`,
    );
  }
  const issues: FieldIssue[] = [];
  const parsed: Partial<Record<K, unknown>> = {};
  for (const [flag, source] of given) {
    const result = parseYaml(await readSource(source, stdin).catch((error: NodeJS.ErrnoException) => error));
    if ('value' in result) parsed[flag] = result.value;
    else issues.push({ field: `--${flag}`, message: result.error });
  }
  if (issues.length) throw new ValidationError('input', issues);
  return parsed;
}

async function readSource(source: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (source !== STDIN) return readFile(source, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * YAML text to a value, or why not. Errors carry the position but never the source text:
 * account data holds credentials, and yaml's own pretty errors quote the offending lines.
 */
function parseYaml(text: string | NodeJS.ErrnoException): { value: unknown } | { error: string } {
  if (typeof text !== 'string') {
    return { error: `cannot read ${text.path ?? 'the input'} (${text.code ?? text.message})` };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  const [first] = document.errors;
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    return { error: `YAML error at line ${line}, column ${col}: ${first.message}` };
  }
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    return { error: `YAML error: ${(error as Error).message}` };
  }
  if (value === null || value === undefined) return { error: 'is empty; give a YAML mapping' };
  return { value };
}
