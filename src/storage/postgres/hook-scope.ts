import { AsyncLocalStorage } from 'node:async_hooks';
import { inTransaction, type PgClient, type PgPool } from './db.js';

interface HookContext {
  client: PgClient;
  pending: Promise<unknown>[];
}

/**
 * Lets a synchronous record hook (the alert store's `setRecordHook`) write inside the transition's transaction on
 * PostgreSQL: while the hook runs, a store that writes through `write()` uses the transition's connection, and the
 * alert store waits for those writes before COMMIT (any failure, or the hook throwing, rolls all of it back).
 * Outside a hook, `write()` runs in a transaction of its own. One scope per pool, shared by the stores on it.
 */
export function createHookScope(pool: PgPool) {
  const als = new AsyncLocalStorage<HookContext>();
  return {
    /** Runs `hook` with `client`'s transaction as the scope; resolves once what it wrote is written, rejects if any of it (or the hook) failed. */
    async runHook(client: PgClient, hook: () => void): Promise<void> {
      const ctx: HookContext = { client, pending: [] };
      let failure: { error: unknown } | undefined;
      try {
        als.run(ctx, hook);
      } catch (error) {
        failure = { error };
      }
      const results = await Promise.allSettled(ctx.pending);
      if (failure) throw failure.error;
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw rejected.reason;
    },
    /** Runs `fn` on the current hook's transaction, or else in a new transaction. */
    write<T>(fn: (c: PgClient) => Promise<T>): Promise<T> {
      const ctx = als.getStore();
      if (!ctx) return inTransaction(pool, fn);
      const p = fn(ctx.client);
      ctx.pending.push(p);
      return p;
    },
  };
}

export type HookScope = ReturnType<typeof createHookScope>;
