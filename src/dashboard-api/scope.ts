import { matches } from '../core/index.js';
import type { Scope } from '../storage/index.js';

/** What a scope is checked against: a device, an alert, a reading (their domain and district). */
export interface Scoped {
  domain: string;
  district?: string | null;
}

/** True when `scope` holds the thing (no scope: everything; a list that is absent does not limit). */
export function inScope(scope: Scope | undefined, thing: Scoped): boolean {
  return !scope || matches({ domain: scope.domains, district: scope.districts }, thing);
}

/**
 * Pages through a cursor-paged source until `limit` items in scope are found or the source ends, so that a scoped
 * caller gets full pages and a `nextCursor` only when more may follow. `rounds` bounds the work of one request.
 */
export function scopedPage<T, C>(
  fetch: (cursor: C | undefined, limit: number) => { items: T[]; nextCursor?: C },
  keep: (item: T) => boolean,
  limit: number,
  cursorOf: (item: T) => C,
  start?: C,
  rounds = 20,
): { items: T[]; nextCursor?: C } {
  const items: T[] = [];
  let cursor = start;
  for (let i = 0; i < rounds; i++) {
    const got = fetch(cursor, limit);
    for (const item of got.items) {
      if (!keep(item)) continue;
      items.push(item);
      if (items.length === limit) return { items, nextCursor: cursorOf(item) };
    }
    if (got.nextCursor === undefined) return { items };
    cursor = got.nextCursor;
  }
  return cursor === undefined ? { items } : { items, nextCursor: cursor };
}
