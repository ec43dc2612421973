import { formatPath } from '@buildfleet/models';
import express, { type RequestHandler } from 'express';
import { ProblemError } from './problem';

/** Arrays and objects nest at most this deep in a body; Debusine's task data needs a handful of levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * A JSON body parser with the parse-level rules every `/api` body obeys, before any schema:
 * at most `limit` bytes, nesting at most MAX_JSON_DEPTH, and no NUL character or unpaired
 * surrogate in any string or key (PostgreSQL stores neither, so they would fail later as 500s).
 * An empty body is `{}`, as express.json makes it. Each refusal is a 400 naming the field.
 */
export function jsonBody(limit: string): RequestHandler {
  const text = express.text({ limit, type: () => true });
  return (req, res, next) => {
    text(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        req.body = parseJson(typeof req.body === 'string' ? req.body : '');
        next();
      } catch (parseError) {
        next(parseError);
      }
    });
  };
}

/** `text` parsed under the rules above; throws a 400 ProblemError naming what is wrong. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  const depth = nestingDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new ProblemError(400, 'Error', `JSON parse error - nesting deeper than ${MAX_JSON_DEPTH} levels (${depth}): flatten the body`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProblemError(400, 'Error', `JSON parse error - ${(error as Error).message}`);
  }
  const bad = findUnstorableString(value, []);
  if (bad) {
    const field = bad.field || 'non_field_errors';
    const message = `${bad.in === 'key' ? 'a key' : 'the value'} contains ${bad.problem}, which cannot be stored: remove it`;
    throw new ProblemError(400, 'Invalid JSON body', `${bad.field || '(top level)'}: ${message}`, { [field]: [message] });
  }
  return value;
}

/** The deepest nesting of arrays and objects in JSON text, counted without parsing it. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

interface Unstorable {
  field: string;
  in: 'key' | 'value';
  problem: string;
}

function findUnstorableString(value: unknown, path: (string | number)[]): Unstorable | undefined {
  if (typeof value === 'string') {
    const problem = unstorable(value);
    return problem ? { field: formatPath(path), in: 'value', problem } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findUnstorableString(value[i], [...path, i]);
      if (bad) return bad;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = unstorable(key);
      // The key is quoted with escapes, so the answer itself stays storable and printable.
      if (problem) return { field: formatPath([...path, JSON.stringify(key).slice(1, -1)]), in: 'key', problem };
      const bad = findUnstorableString(item, [...path, key]);
      if (bad) return bad;
    }
  }
  return undefined;
}

// Without the `u` flag the pattern sees UTF-16 code units, so it finds halves of pairs.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL could not store `text` (in text or jsonb), or undefined. */
export function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'an unpaired UTF-16 surrogate';
  return undefined;
}
