import { type z } from 'zod';

/** One problem with an input: where it is (`specifications.launch_templates[0].ImageId`) and why. */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * Bad input, rejected before anything is written. The message names every offending field
 * and says how to fix it; `issues` carries the same in structured form for `--json`.
 */
export class ValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly issues: FieldIssue[],
  ) {
    super(`Invalid ${subject}:\n${issues.map((i) => `  - ${i.field || '(top level)'}: ${i.message}`).join('\n')}`);
    this.name = 'ValidationError';
  }

  static single(subject: string, field: string, message: string): ValidationError {
    return new ValidationError(subject, [{ field, message }]);
  }
}

/**
 * Parses `input` with `schema`, or throws a ValidationError whose fields are prefixed with
 * `root` (e.g. `specifications`). Unknown fields are reported with the closest known name.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, subject: string, root = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(subject, issuesOf(result.error, schema, root));
}

export function issuesOf(error: z.ZodError, schema: z.ZodType, root = ''): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const field = formatPath([...(root ? [root] : []), ...issue.path]);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      return issue.keys.map((key) => {
        const guess = closest(key, known);
        const hint = guess
          ? `did you mean "${guess}"?`
          : known.length
            ? `allowed fields: ${known.join(', ')}`
            : 'remove it';
        return { field: formatPath([...(field ? [field] : []), key]), message: `unknown field; ${hint}` };
      });
    }
    if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      return [{ field, message: `required: give a ${issue.expected === 'object' ? 'mapping' : issue.expected}` }];
    }
    return [{ field, message: issue.message }];
  });
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

/** The keys the object schema at `path` accepts, following arrays, optionals and defaults. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (const part of [...path, null]) {
    current = unwrap(current);
    if (part === null) break;
    const def = (current as { def?: { type?: string; element?: unknown; shape?: Record<string, unknown>; options?: unknown[] } }).def;
    if (def?.type === 'array') current = def.element;
    else if (def?.type === 'object') current = def.shape?.[String(part)];
    else if (def?.type === 'union') {
      const option = def.options?.find((o) => knownKeysOf(unwrap(o)).includes(String(part)));
      current = (unwrap(option) as { def?: { shape?: Record<string, unknown> } } | undefined)?.def?.shape?.[String(part)];
    } else return [];
  }
  return knownKeysOf(current);
}

function knownKeysOf(schema: unknown): string[] {
  const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; options?: unknown[] } } | undefined)?.def;
  // A union (the provider account data): the fields any of its options accepts.
  if (def?.type === 'union') return [...new Set((def.options ?? []).flatMap((o) => knownKeysOf(unwrap(o))))];
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined;
  while (current?.def) {
    const { type, innerType } = current.def;
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(type ?? '')) {
      current = innerType as typeof current;
    } else if (type === 'pipe') {
      current = current.def.in as typeof current;
    } else break;
  }
  return current;
}

/** The known name within edit distance 3 of `name` (case-insensitive), if any. */
function closest(name: string, known: string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(name.toLowerCase(), key.toLowerCase());
    if (distance <= Math.max(1, Math.min(3, Math.floor(key.length / 3))) && (!best || distance < best.distance)) {
      best = { key, distance };
    }
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
