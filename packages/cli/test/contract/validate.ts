import { type JsonSchema } from './generate';

/**
 * Checks `value` against a schema written by `generate.ts` (the subset it writes: type, const,
 * enum, anyOf, properties, required, additionalProperties, items, prefixItems). Returns the
 * problems, each with its path (`$.pools[0].limits`), or none.
 */
export function validate(value: unknown, schema: JsonSchema, path = '$'): string[] {
  if ('const' in schema) return value === schema.const ? [] : [`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`];
  if (Array.isArray(schema.enum)) {
    return schema.enum.includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  }
  if (Array.isArray(schema.anyOf)) {
    const attempts = (schema.anyOf as JsonSchema[]).map((s) => validate(value, s, path));
    return attempts.some((problems) => !problems.length) ? [] : [`${path}: matches no alternative (${attempts.map((p) => p[0]).join(' | ')})`];
  }
  switch (schema.type) {
    case undefined:
      return [];
    case 'null':
      return value === null ? [] : [`${path}: ${JSON.stringify(value)} is not null`];
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === schema.type ? [] : [`${path}: ${JSON.stringify(value)} is not a ${schema.type}`];
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: ${JSON.stringify(value)} is not an array`];
      const prefix = (schema.prefixItems as JsonSchema[] | undefined) ?? [];
      if (schema.prefixItems && value.length !== prefix.length) return [`${path}: has ${value.length} items, not ${prefix.length}`];
      return value.flatMap((item, i) => validate(item, prefix[i] ?? (schema.items as JsonSchema), `${path}[${i}]`));
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: ${JSON.stringify(value)} is not an object`];
      const record = value as Record<string, unknown>;
      const properties = schema.properties as Record<string, JsonSchema>;
      const missing = (schema.required as string[]).filter((key) => !(key in record)).map((key) => `${path}: lacks "${key}"`);
      return [
        ...missing,
        ...Object.entries(record).flatMap(([key, item]) => {
          const at = `${path}.${key}`;
          if (properties[key]) return validate(item, properties[key], at);
          if (schema.additionalProperties === false) return [`${at}: is not in the documented result`];
          return validate(item, schema.additionalProperties as JsonSchema, at);
        }),
      ];
    }
    default:
      return [`${path}: the schema has an unknown type ${JSON.stringify(schema.type)}`];
  }
}
