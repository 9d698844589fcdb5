import type { Async } from '../../src/storage/index.js';

/**
 * The error a call that should fail throws or rejects with. Awaited, so a contract reads the same against a
 * synchronous adapter (better-sqlite3) and an asynchronous one.
 */
export async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

/** A store opened on a database, and how to close it. */
export type Opened<T> = T & { close(): Promise<void> | void };

/**
 * One database (a file, a PostgreSQL database) that a contract opens, closes and opens again (a restart), or opens
 * twice at once (two nodes sharing it); `remove()` deletes it once its openers are closed.
 */
export interface Place<T> {
  open(): Promise<Opened<T>>;
  remove(): Promise<void> | void;
}

/** Places handed out during a test, closed and removed after it (in afterEach). */
export function placeKeeper<T>(newPlace: () => Promise<Place<T>>) {
  const opened: Array<{ close(): Promise<void> | void }> = [];
  const places: Array<Place<T>> = [];
  return {
    /** A new, empty database; what is opened on it is closed after the test. */
    async place(): Promise<Place<T>> {
      const p = await newPlace();
      places.push(p);
      return {
        async open() {
          const s = await p.open();
          opened.push(s);
          return s;
        },
        remove: () => p.remove(),
      };
    },
    async cleanup(): Promise<void> {
      while (opened.length) await opened.pop()!.close();
      while (places.length) await places.pop()!.remove();
    },
  };
}

/** A port as a contract takes it: the synchronous one (SQLite) or its asynchronous twin (PostgreSQL). */
export type Either<P> = P | Async<P>;
