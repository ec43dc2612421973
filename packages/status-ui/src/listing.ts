import { ValidationError } from '@buildfleet/models';

/** Query parameters as pages see them: one string per name, absent when not given. */
export type Query = Readonly<Record<string, string | undefined>>;

export interface Order<C extends string> {
  column: C;
  descending: boolean;
}

/** Reads `?order=<column>` or `?order=<column>.desc`. */
export function parseOrder<C extends string>(value: string | undefined, columns: readonly C[], fallback: C): Order<C> {
  if (!value) return { column: fallback, descending: false };
  const [column, direction, ...rest] = value.split('.');
  if (!columns.includes(column as C) || rest.length || (direction !== undefined && direction !== 'desc')) {
    throw ValidationError.single(
      'query',
      'order',
      `"${value}" is not a sort order; use one of ${columns.join(', ')}, optionally followed by .desc`,
    );
  }
  return { column: column as C, descending: direction === 'desc' };
}

export function formatOrder(order: Order<string>): string {
  return order.descending ? `${order.column}.desc` : order.column;
}

/** Reads `?page=N` (1-based). */
export function parsePage(value: string | undefined): number {
  if (!value) return 1;
  if (!/^[1-9][0-9]{0,5}$/.test(value)) {
    throw ValidationError.single('query', 'page', `"${value}" is not a page number; use 1, 2, 3, ...`);
  }
  return Number(value);
}

/** Reads a parameter that must be one of `values` when given. */
export function parseChoice<V extends string>(value: string | undefined, field: string, values: readonly V[]): V | undefined {
  if (!value) return undefined;
  if (!values.includes(value as V)) {
    throw ValidationError.single('query', field, `"${value}" is not one of ${values.join(', ')}`);
  }
  return value as V;
}

export interface Pagination {
  page: number;
  perPage: number;
  total: number;
  pages: number;
}

export function pagination(page: number, perPage: number, total: number): Pagination {
  return { page, perPage, total, pages: Math.max(1, Math.ceil(total / perPage)) };
}

/**
 * A relative link to `path` with the current query changed by `changes` (undefined or empty
 * removes a parameter). Paths are relative to the `<base href>`, so they work under any mount.
 */
export function linkTo(path: string, query: Query, changes: Query = {}): string {
  const merged = { ...query, ...changes };
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(merged)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
