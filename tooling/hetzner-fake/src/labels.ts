import { type Labels } from './schema';

const NAME = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$/;
const VALUE = /^([a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Problems with a `labels` object under the API's label rules; empty when valid. */
export function labelProblems(labels: unknown): string[] {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return ['must be an object of string keys to string values'];
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== 'string') {
      problems.push(`value of '${key}' must be a string`);
      continue;
    }
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (!NAME.test(name)) problems.push(`key '${key}' is not a valid label name`);
    if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
      problems.push(`key '${key}' has a prefix that is not a DNS subdomain`);
    }
    if (prefix === 'hetzner.cloud') problems.push(`key '${key}' uses the reserved prefix hetzner.cloud/`);
    if (!VALUE.test(value)) problems.push(`value '${value}' of '${key}' is not a valid label value`);
  }
  return problems;
}

type Requirement = (labels: Labels) => boolean;

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function parseRequirement(term: string): Requirement | undefined {
  let m = /^!\s*([^\s=!(),]+)$/.exec(term);
  if (m) {
    const key = m[1] as string;
    return (labels) => !(key in labels);
  }
  m = /^([^\s=!(),]+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(term);
  if (m) {
    const key = m[1] as string;
    const values = new Set((m[3] as string).split(',').map((v) => v.trim()));
    return m[2] === 'in'
      ? (labels) => key in labels && values.has(labels[key] as string)
      : (labels) => !(key in labels) || !values.has(labels[key] as string);
  }
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  m = /^([^\s=!(),]+)$/.exec(term);
  if (m) {
    const key = m[1] as string;
    return (labels) => key in labels;
  }
  return undefined;
}

/**
 * Compiles a label selector into a predicate, or returns the offending term.
 * Like Kubernetes selectors (which Hetzner's follow), `k!=v` also matches resources without `k`.
 */
export function parseLabelSelector(selector: string): { matches: Requirement } | { invalidTerm: string } {
  const requirements: Requirement[] = [];
  for (const term of splitTopLevel(selector)) {
    const requirement = parseRequirement(term);
    if (!requirement) return { invalidTerm: term };
    requirements.push(requirement);
  }
  return { matches: (labels) => requirements.every((r) => r(labels)) };
}
