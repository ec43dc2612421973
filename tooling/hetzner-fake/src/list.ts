import { invalidInput } from './errors';
import { parseLabelSelector } from './labels';
import { type Labels, type Pagination } from './schema';

const DEFAULT_PER_PAGE = 25;
const MAX_PER_PAGE = 50;

/** The request's query string, with every parameter as the list of its values. */
export type Query = Map<string, string[]>;

export function first(query: Query, name: string): string | undefined {
  return query.get(name)?.[0];
}

function positiveInt(query: Query, name: string, fallback: number, max?: number): number {
  const raw = first(query, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || (max !== undefined && n > max)) {
    const range = max === undefined ? 'an integer of at least 1' : `an integer from 1 to ${max}`;
    throw invalidInput([{ name, messages: [`must be ${range}`] }]);
  }
  return n;
}

export function byLabelSelector<T extends { labels: Labels }>(items: T[], query: Query): T[] {
  const selector = first(query, 'label_selector');
  if (selector === undefined || selector === '') return items;
  const parsed = parseLabelSelector(selector);
  if ('invalidTerm' in parsed) {
    throw invalidInput([{ name: 'label_selector', messages: [`cannot parse '${parsed.invalidTerm}'`] }]);
  }
  return items.filter((item) => parsed.matches(item.labels));
}

/** Keeps items whose `field` equals one of the values given for the parameter (repeatable). */
export function byValues<T>(items: T[], query: Query, name: string, value: (item: T) => unknown): T[] {
  const wanted = query.get(name);
  if (!wanted || wanted.length === 0) return items;
  return items.filter((item) => wanted.includes(String(value(item))));
}

/** `sort=field`, `sort=field:asc|desc`, repeatable; items are in id order otherwise. */
export function sorted<T extends { id: number }>(items: T[], query: Query, fields: readonly string[]): T[] {
  const keys = (query.get('sort') ?? []).map((s) => {
    const [field = '', direction = 'asc'] = s.split(':');
    if (!fields.includes(field) || (direction !== 'asc' && direction !== 'desc')) {
      throw invalidInput([{ name: 'sort', messages: [`'${s}' is not one of ${fields.join(', ')} (with :asc or :desc)`] }]);
    }
    return { field, sign: direction === 'desc' ? -1 : 1 };
  });
  keys.push({ field: 'id', sign: 1 });
  return [...items].sort((a, b) => {
    for (const { field, sign } of keys) {
      const x = (a as Record<string, unknown>)[field] as string | number | null;
      const y = (b as Record<string, unknown>)[field] as string | number | null;
      if (x === y) continue;
      if (x === null) return -sign;
      if (y === null) return sign;
      return x < y ? -sign : sign;
    }
    return 0;
  });
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
  /** The `Link` header value, or undefined when there is only one page. */
  link: string | undefined;
}

/** One page under the API's rules: `page` from 1, `per_page` 25 by default and at most 50. */
export function paginate<T>(items: T[], query: Query, pageUrl: (page: number, perPage: number) => string): Page<T> {
  const page = positiveInt(query, 'page', 1);
  const perPage = positiveInt(query, 'per_page', DEFAULT_PER_PAGE, MAX_PER_PAGE);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const pagination: Pagination = {
    page,
    per_page: perPage,
    previous_page: page > 1 ? Math.min(page - 1, lastPage) : null,
    next_page: page < lastPage ? page + 1 : null,
    last_page: lastPage,
    total_entries: items.length,
  };
  const links = [
    pagination.previous_page !== null ? `<${pageUrl(pagination.previous_page, perPage)}>; rel="prev"` : undefined,
    pagination.next_page !== null ? `<${pageUrl(pagination.next_page, perPage)}>; rel="next"` : undefined,
    lastPage > 1 ? `<${pageUrl(lastPage, perPage)}>; rel="last"` : undefined,
  ].filter((l) => l !== undefined);
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    pagination,
    link: links.length > 0 ? links.join(', ') : undefined,
  };
}
