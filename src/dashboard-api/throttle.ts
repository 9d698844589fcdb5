import type { RequestHandler } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { errorBody } from './errors.js';

const WINDOW_MS = 60_000;

/** Failed authentications per client address, one count for REST requests and Socket.IO handshakes. */
export interface AuthThrottle {
  /** Express middleware: 429 while the address is locked out; every 401 answered after it counts as a failure. */
  readonly middleware: RequestHandler;
  /** True while `address` is locked out (a Socket.IO handshake then gets `rate_limited`). */
  lockedOut(address: string | undefined): Promise<boolean>;
  /** Counts a failed Socket.IO handshake from `address`. */
  failed(address: string | undefined): Promise<void>;
}

/** Locks an address out for the rest of a minute once it has failed to authenticate `failuresPerMinute` times in it. */
export function createAuthThrottle(failuresPerMinute = 30): AuthThrottle {
  // express-rate-limit keeps the count; the handshake reads and adds to the same store, so both see one window.
  const store = new MemoryStore();
  // The API trusts no proxy ('trust proxy' is false): the peer address is the client's, for HTTP and Socket.IO alike.
  const key = (address: string | undefined) => ipKeyGenerator(address ?? '');
  const middleware = rateLimit({
    windowMs: WINDOW_MS,
    limit: failuresPerMinute,
    store,
    keyGenerator: (req) => key(req.socket.remoteAddress),
    // Each request counts until it is answered; one that was not a 401 is taken off again.
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(errorBody('too_many_requests', 'too many failed authentications from this address; retry after a minute'));
    },
  });
  return {
    middleware,
    // As the middleware decides: refused once the failures before this attempt reach the limit.
    lockedOut: async (address) => ((await store.get(key(address)))?.totalHits ?? 0) >= failuresPerMinute,
    failed: async (address) => void (await store.increment(key(address))),
  };
}
