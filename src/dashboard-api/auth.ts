import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError, hashToken } from '../core/index.js';
import type { Role, TokenStore } from '../storage/index.js';

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

/** Resolves a bearer token to its principal: a stored token, or the configured ADMIN_TOKEN. */
export function createAuthenticator(tokens: TokenStore, adminToken?: string) {
  const adminHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
  return function authenticate(token: string | undefined): Principal | undefined {
    if (!token) return undefined;
    const hash = hashToken(token);
    if (adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) return { tokenId: 'env:ADMIN_TOKEN', name: 'ADMIN_TOKEN', role: 'admin' };
    const found = tokens.findByHash(hash);
    return found ? { tokenId: found.id, name: found.name, role: found.role } : undefined;
  };
}
export type Authenticate = ReturnType<typeof createAuthenticator>;

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
