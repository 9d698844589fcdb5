import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError, hashToken, type AuthFailureListener } from '../core/index.js';
import { errorBody } from './errors.js';
import type { Role, TokenStore } from '../storage/index.js';
import { createAuthThrottle, type AuthThrottle } from './throttle.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Token authentication shared by the REST and the Socket.IO side (the composition root builds one and hands it to
 * both): called with a bearer token it resolves the principal; `revoke` is how a token is deleted, so that every
 * live session made with it can end at once; `throttle` counts both sides' failures in one place.
 */
export interface Authenticate {
  /** The principal of a stored token or of the configured ADMIN_TOKEN; undefined for anything else. */
  (token: string | undefined): Principal | undefined;
  /** Deletes a stored token and tells the `onRevoke` listeners; false when there is no such token. */
  revoke(tokenId: string): boolean;
  /** Calls `listener` with the id of every token revoked from now on; returns the function that stops it. */
  onRevoke(listener: (tokenId: string) => void): () => void;
  /** Failed authentications per client address: REST answers 429 and Socket.IO `rate_limited` past the limit. */
  readonly throttle: AuthThrottle;
  /**
   * Express middleware before the routes: a valid token always passes (a control room behind one NAT address is
   * not locked out by one misconfigured client); without one, 429 while the address is locked out, and a 401
   * answered later counts as a failure.
   */
  readonly gate: RequestHandler;
}

export interface AuthenticatorOptions {
  /** Failed authentications allowed per client address per minute, REST and Socket.IO together (default 30). */
  failuresPerMinute?: number;
  /** Told of every failed authentication and lockout (the composition root logs and counts them). */
  onFailure?: AuthFailureListener;
}

/** Resolves bearer tokens against `tokens` and the configured ADMIN_TOKEN. */
export function createAuthenticator(tokens: TokenStore, adminToken?: string, options: AuthenticatorOptions = {}): Authenticate {
  const adminHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
  const revokeListeners = new Set<(tokenId: string) => void>();
  const authenticate = (token: string | undefined): Principal | undefined => {
    if (!token) return undefined;
    const hash = hashToken(token);
    if (adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) return { tokenId: 'env:ADMIN_TOKEN', name: 'ADMIN_TOKEN', role: 'admin' };
    const found = tokens.findByHash(hash);
    return found ? { tokenId: found.id, name: found.name, role: found.role } : undefined;
  };
  const throttle = createAuthThrottle(options.failuresPerMinute, options.onFailure);
  const gate: RequestHandler = (req, res, next) => {
    const token = bearerToken(req);
    const principal = authenticate(token);
    if (principal) {
      req.principal = principal;
      return next();
    }
    const address = req.socket.remoteAddress;
    throttle.lockedOut(address).then(async (locked) => {
      if (locked) {
        throttle.refused(address, 'rest');
        res.setHeader('Retry-After', String(await throttle.retryAfterS(address)));
        res.status(429).json(errorBody('too_many_requests', 'too many failed authentications from this address; retry after a minute'));
        return;
      }
      // Counted when answered 401, not before: a request still sending its body, or aborted, is no failure.
      res.once('finish', () => {
        if (res.statusCode === 401) void throttle.failed(address, 'rest', token ? 'bad_token' : 'no_token');
      });
      next();
    }).catch(next);
  };
  return Object.assign(authenticate, {
    throttle,
    gate,
    revoke(tokenId: string) {
      if (!tokens.delete(tokenId)) return false;
      for (const listener of [...revokeListeners]) listener(tokenId);
      return true;
    },
    onRevoke(listener: (tokenId: string) => void) {
      revokeListeners.add(listener);
      return () => void revokeListeners.delete(listener);
    },
  });
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

/** 401 without a valid token, 403 when the token's role is below `role`. */
export function requireRole(authenticate: Authenticate, role: Role): RequestHandler {
  return (req, _res, next) => {
    const principal = req.principal ?? authenticate(bearerToken(req));
    if (!principal) return next(new AppError('unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)', 401));
    req.principal = principal;
    if (RANK[principal.role] < RANK[role]) return next(new AppError('forbidden', `this needs the ${role} role; the token has ${principal.role}`, 403));
    next();
  };
}
