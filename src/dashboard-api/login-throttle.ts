import { MemoryStore, ipKeyGenerator, type Options } from 'express-rate-limit';

const WINDOW_MS = 60_000;

export interface LoginThrottleOptions {
  /** Failed sign-ins allowed per username per minute (default 10). */
  perUsername?: number;
  /** Failed sign-ins allowed per client address per minute, over all usernames (default 100): bounds a username spray. */
  perAddress?: number;
}

/**
 * Password sign-in failures, counted per username and per address. A username past its limit is refused (429)
 * for the rest of the minute whoever asks; other usernames from the same address still sign in until the much
 * higher per-address limit, so one person mistyping (or one attacked account) locks nobody else out.
 */
export interface LoginThrottle {
  /** Seconds to wait when this attempt must be refused unchecked; 0 when it may be checked. */
  retryAfterS(username: string, address: string | undefined): Promise<number>;
  failed(username: string, address: string | undefined): Promise<void>;
  /** A good sign-in clears its username's count (the address's stays). */
  succeeded(username: string): Promise<void>;
}

export function createLoginThrottle(opts: LoginThrottleOptions = {}): LoginThrottle {
  const perUsername = opts.perUsername ?? 10;
  const perAddress = opts.perAddress ?? 100;
  const users = new MemoryStore();
  const addresses = new MemoryStore();
  users.init({ windowMs: WINDOW_MS } as Options);
  addresses.init({ windowMs: WINDOW_MS } as Options);
  const userKey = (u: string) => `user:${u.toLowerCase()}`;
  const addressKey = (a: string | undefined) => ipKeyGenerator(a ?? '');
  const wait = (reset: Date | undefined) => Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now()) - Date.now()) / 1000));
  return {
    async retryAfterS(username, address) {
      const u = await users.get(userKey(username));
      if ((u?.totalHits ?? 0) >= perUsername) return wait(u!.resetTime);
      const a = await addresses.get(addressKey(address));
      if ((a?.totalHits ?? 0) >= perAddress) return wait(a!.resetTime);
      return 0;
    },
    async failed(username, address) {
      await users.increment(userKey(username));
      await addresses.increment(addressKey(address));
    },
    succeeded: (username) => users.resetKey(userKey(username)),
  };
}
