import { MemoryStore, ipKeyGenerator, type Options } from 'express-rate-limit';
import type { AuthFailureListener, AuthTransport } from '../core/index.js';

const WINDOW_MS = 60_000;

/**
 * Failed authentications per client address, one count for REST requests and Socket.IO handshakes. Only failures
 * are counted (a REST request answered 401, a handshake refused `unauthorized`): a request still in flight, or
 * aborted before its answer, is no failure, and a valid token is never refused here (see `middleware` in auth.ts).
 */
export interface AuthThrottle {
  /** True while `address` is locked out: its attempts without a valid token get 429 / `rate_limited`. */
  lockedOut(address: string | undefined): Promise<boolean>;
  /** Seconds until `address`'s window ends (for Retry-After). */
  retryAfterS(address: string | undefined): Promise<number>;
  /** Counts a failed authentication from `address`; the one that reaches the limit is reported as the lockout. */
  failed(address: string | undefined, transport: AuthTransport, reason: string): Promise<void>;
  /** Reports an attempt refused because its address is locked out (not counted again). */
  refused(address: string | undefined, transport: AuthTransport): void;
}

/** Locks an address out for the rest of a minute once it has failed to authenticate `failuresPerMinute` times in it. */
export function createAuthThrottle(failuresPerMinute = 30, onFailure?: AuthFailureListener): AuthThrottle {
  // express-rate-limit's store keeps the per-address window (and forgets expired ones); the counting is ours.
  const store = new MemoryStore();
  store.init({ windowMs: WINDOW_MS } as Options);
  // The API trusts no proxy ('trust proxy' is false): the peer address is the client's, for HTTP and Socket.IO alike.
  const key = (address: string | undefined) => ipKeyGenerator(address ?? '');
  const report: AuthFailureListener = (f) => {
    try { onFailure?.(f); } catch { /* a listener must not break authentication */ }
  };
  return {
    // Refused once the failures before this attempt reach the limit.
    lockedOut: async (address) => ((await store.get(key(address)))?.totalHits ?? 0) >= failuresPerMinute,
    async retryAfterS(address) {
      const reset = (await store.get(key(address)))?.resetTime?.getTime() ?? Date.now();
      return Math.max(1, Math.ceil((reset - Date.now()) / 1000));
    },
    async failed(address, transport, reason) {
      const { totalHits } = await store.increment(key(address));
      report({ transport, reason, address, lockout: totalHits === failuresPerMinute });
    },
    refused(address, transport) {
      report({ transport, reason: 'rate_limited', address, lockout: false });
    },
  };
}
