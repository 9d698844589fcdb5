import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError, hashToken, type AuthFailureListener } from '../core/index.js';
import { errorBody } from './errors.js';
import type { Role, Scope, TokenStore } from '../storage/index.js';
import { SESSION_COOKIE, cookieValue, sameOrigin, type Sessions } from './sessions.js';
import { createAuthThrottle, type AuthThrottle } from './throttle.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface Principal {
  /** The credential: a token's id, or `user:{id}` for a signed-in person (ending the user ends all its sessions). */
  tokenId: string;
  /** Display name: a token's name or the person's name; actions are credited to it. */
  name: string;
  role: Role;
  /** Limits what the principal sees and does; absent: everything. */
  scope?: Scope;
  /** A signed-in person: their user id, username and the session's id. */
  user?: { id: string; username: string; sessionId: string };
}

/** Who a principal's actions are credited to: a person by their user id, a token as `token:{id}`. */
export const creditOf = (p: Principal): { id: string; name: string } => ({ id: p.user ? p.user.id : `token:${p.tokenId}`, name: p.name });

/** What a revocation ends: the connections of a token, of a user (all sessions), or of one session. */
export const revocationKeys = (p: Principal): string[] => (p.user ? [p.tokenId, `session:${p.user.sessionId}`] : [p.tokenId]);

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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
  /** Calls `listener` with the key of every revocation from now on (see `revocationKeys`); returns the function that stops it. */
  onRevoke(listener: (key: string) => void): () => void;
  /** Ends every session of a user (deleted, disabled, or changed) and its live connections. */
  endUser(userId: string): void;
  /** Ends one session (sign-out) and its live connections. */
  endSession(sessionId: string): void;
  /** The principal of a session cookie's secret (a signed-in person), when sessions are on. */
  session(secret: string | undefined): Principal | undefined;
  /** The sessions behind sign-in, when on. */
  readonly sessions?: Sessions;
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
  /** Sign-in sessions of people (cookie authentication); absent: tokens only. */
  sessions?: Sessions;
}

/** Resolves bearer tokens against `tokens` and the configured ADMIN_TOKEN. */
export function createAuthenticator(tokens: TokenStore, adminToken?: string, options: AuthenticatorOptions = {}): Authenticate {
  const adminHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
  const revokeListeners = new Set<(key: string) => void>();
  const { sessions } = options;
  const tell = (key: string) => {
    for (const listener of [...revokeListeners]) listener(key);
  };
  const authenticate = (token: string | undefined): Principal | undefined => {
    if (!token) return undefined;
    const hash = hashToken(token);
    if (adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) return { tokenId: 'env:ADMIN_TOKEN', name: 'ADMIN_TOKEN', role: 'admin' };
    const found = tokens.findByHash(hash);
    return found ? { tokenId: found.id, name: found.name, role: found.role, ...(found.scope ? { scope: found.scope } : {}) } : undefined;
  };
  const session = (secret: string | undefined): Principal | undefined => {
    const s = sessions?.resolve(secret);
    if (!s) return undefined;
    const { user } = s;
    return { tokenId: `user:${user.id}`, name: user.name, role: user.role, ...(user.scope ? { scope: user.scope } : {}), user: { id: user.id, username: user.username, sessionId: s.sessionId } };
  };
  const throttle = createAuthThrottle(options.failuresPerMinute, options.onFailure);
  const gate: RequestHandler = (req, res, next) => {
    const token = bearerToken(req);
    const principal = authenticate(token);
    if (principal) {
      req.principal = principal;
      return next();
    }
    const person = token ? undefined : session(cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (person) {
      // A cookie goes with any request the browser sends, a cross-site form's too: a write must come from our page.
      if (WRITE_METHODS.has(req.method) && !sameOrigin(req.headers.origin, req.headers.host)) {
        return next(new AppError('cross_site_request', 'a request signed in with the session cookie must come from the console\'s own origin (its Origin header names another site, or none)', 403));
      }
      req.principal = person;
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
    sessions,
    session,
    revoke(tokenId: string) {
      if (!tokens.delete(tokenId)) return false;
      tell(tokenId);
      return true;
    },
    endUser(userId: string) {
      sessions?.closeUser(userId);
      tell(`user:${userId}`);
    },
    endSession(sessionId: string) {
      tell(`session:${sessionId}`);
    },
    onRevoke(listener: (key: string) => void) {
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
    if (!principal) return next(new AppError('unauthorized', 'sign in (POST /api/session) or send a valid bearer token (Authorization: Bearer <token>)', 401));
    req.principal = principal;
    if (RANK[principal.role] < RANK[role]) return next(new AppError('forbidden', `this needs the ${role} role; the token has ${principal.role}`, 403));
    next();
  };
}
