import { request } from 'node:http';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src';

/** How many generated inputs each endpoint's fuzz test sends. */
export const FUZZ_RUNS = 1000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings PostgreSQL cannot store (NUL) or UTF-8 cannot carry (unpaired surrogates), and their neighbours. */
const hostileString = fc.constantFrom(
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udc00y',
  '\udbff\udbff\udfff',
  '\ud83d\ude00',
  '\u202e\ufeff',
  '',
  ' '.repeat(300),
  'é'.repeat(300),
);

/** Numbers that overflow integer columns, lose precision, or are not numbers at all once parsed. */
const HUGE_NUMBERS = ['1e400', '-1e400', '1e308', '-1e308', '9007199254740993', '9223372036854775808', '123456789012345678901234567890', '-0', '1e-400', '0.5', '-1', '2147483648'];
const hugeNumber = fc.constantFrom(...HUGE_NUMBERS);

/** Keys an object lookup would find on Object.prototype, or that change an object's prototype. */
const prototypeKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__');

/** A nested array or object, from just inside the depth limit to 6,000 levels. */
const deepValue = fc
  .tuple(fc.constantFrom(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 200, 6000), fc.boolean())
  .map(([depth, asObject]) => (asObject ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`));

/** A JSON value's text, placed where a field's value goes. */
const wrongValueText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.anything({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? 'null'),
  hostileString.map((value) => JSON.stringify(value)),
  hugeNumber,
  deepValue,
);

/** Every object in `value`, itself included. */
function objectsIn(value: Json): { [key: string]: Json }[] {
  if (value === null || typeof value !== 'object') return [];
  const children = (Array.isArray(value) ? value : Object.values(value)).flatMap((child) => objectsIn(child));
  return Array.isArray(value) ? children : [value, ...children];
}

/**
 * `valid` serialized with one field's value replaced by (or one key added with) raw JSON text
 * `valueText`: a placeholder string is swapped for the text after serializing, so the text can
 * be what JSON.stringify would never write (1e400, 6,000 levels). Prototype keys are defined as
 * own properties, as JSON.parse makes them.
 */
function withField(valid: Json, pick: number, key: string | undefined, valueText: string): string {
  const copy = structuredClone(valid);
  const objects = objectsIn(copy);
  const placeholder = '\u2063placeholder\u2063';
  if (objects.length === 0) return valueText;
  const object = objects[pick % objects.length]!;
  const keys = Object.keys(object);
  const target = key ?? (keys.length ? keys[pick % keys.length]! : 'field');
  Object.defineProperty(object, target, { value: placeholder, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(copy).replace(JSON.stringify(placeholder), valueText);
}

export interface FuzzBody {
  kind: string;
  text: string;
}

/**
 * Request bodies around `valid`: the valid body itself, truncated, a field with the wrong
 * type, NUL characters and unpaired surrogates in values and keys, deep nesting, huge
 * numbers, prototype keys, other JSON documents and bytes that are not UTF-8 JSON at all.
 */
export function fuzzBodies(validBody: fc.Arbitrary<object>): fc.Arbitrary<FuzzBody> {
  const valid = validBody as fc.Arbitrary<Json>;
  const mutated = (kind: string, key: fc.Arbitrary<string | undefined>, value: fc.Arbitrary<string>) =>
    fc.tuple(valid, fc.nat(), key, value).map(([body, pick, k, v]) => ({ kind, text: withField(body, pick, k, v) }));
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((body) => ({ kind: 'valid', text: JSON.stringify(body) })) },
    fc.tuple(valid, fc.nat()).map(([body, cut]) => {
      const text = JSON.stringify(body);
      return { kind: 'truncated', text: text.slice(0, cut % Math.max(text.length, 1)) };
    }),
    { weight: 2, arbitrary: mutated('wrong type', fc.constant(undefined), wrongValueText) },
    mutated('NUL or surrogate in a value', fc.constant(undefined), hostileString.map((s) => JSON.stringify(s))),
    mutated('NUL or surrogate in a key', hostileString, fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v))),
    mutated('deep nesting', fc.option(fc.string(), { nil: undefined }), deepValue),
    mutated('huge number', fc.constant(undefined), hugeNumber),
    mutated('prototype key', prototypeKey, wrongValueText),
    fc.jsonValue({ maxDepth: 4 }).map((value) => ({ kind: 'other JSON', text: JSON.stringify(value) })),
    fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'not JSON', text })),
  );
}

/** Tallies of one endpoint's fuzz run: inputs per kind and answers per status. */
export class FuzzTally {
  inputs = 0;
  serverErrors = 0;
  readonly byKind: Record<string, number> = {};
  readonly byStatus: Record<number, number> = {};

  record(kind: string, status: number): void {
    this.inputs++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    if (status >= 500) this.serverErrors++;
  }

  /** With FUZZ_SUMMARY set, one line for the README's figures. */
  report(endpoint: string): void {
    if (process.env.FUZZ_SUMMARY) {
      process.stdout.write(`fuzz ${endpoint}: ${JSON.stringify({ inputs: this.inputs, serverErrors: this.serverErrors, byStatus: this.byStatus, byKind: this.byKind })}\n`);
    }
  }
}

/** What an answer must be: below 500, and a problem body (exact content type, a title) when 4xx. */
export async function checkAnswer(response: Response): Promise<void> {
  const text = await response.text();
  if (response.status >= 500) throw new Error(`answered ${response.status}: ${text.slice(0, 500)}`);
  if (response.status >= 400) {
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(text)).toEqual(expect.objectContaining({ title: expect.any(String) }));
  }
}

/**
 * Sends FUZZ_RUNS generated inputs through `send` and checks every answer (`checkAnswer`);
 * returns the tally. A failure names the input, shrunk by fast-check.
 */
export async function runFuzz<T extends { kind: string }>(
  endpoint: string,
  inputs: fc.Arbitrary<T>,
  send: (input: T) => Promise<Response>,
): Promise<FuzzTally> {
  const tally = new FuzzTally();
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      const response = await send(input);
      tally.record(input.kind, response.status);
      await checkAnswer(response);
    }),
    { numRuns: FUZZ_RUNS },
  );
  tally.report(endpoint);
  return tally;
}

/** An HTTP request through node:http, which sends what fetch refuses (a GET with a body), as a fetch Response. */
export function sendRaw(url: string, init: { method: string; headers: Record<string, string>; body: string | Buffer }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const outgoing = request(url, { method: init.method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
        const status = incoming.statusCode!;
        resolve(new Response([204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers }));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

export const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

export type { Json };
