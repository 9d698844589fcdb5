import { hashToken, newSecret } from '../core/index.js';
import type { SessionStore, User, UserStore } from '../storage/index.js';

/** The cookie that carries a signed-in person's session secret (HTTP-only, SameSite=Strict). */
export const SESSION_COOKIE = 'citysense_session';

/** Who a session belongs to, as the authenticator needs it. */
export interface SessionPrincipal {
  sessionId: string;
  user: User;
}

export interface SessionsOptions {
  users: UserStore;
  sessions: SessionStore;
  /** A session unused this long ends (default 30 min). */
  idleMs?: number;
  now?: () => number;
}

/** Sign-in sessions: secrets handed out in a cookie, stored as SHA-256 hashes, ended by idleness or with their user. */
export interface Sessions {
  readonly idleMs: number;
  /** Starts a session for `user`; returns the secret for the cookie (shown only here). */
  open(user: User): string;
  /** The live session of a cookie's secret and its (enabled) user; records the activity. */
  resolve(secret: string | undefined): SessionPrincipal | undefined;
  /** Ends the session of a cookie's secret; returns its id when there was one. */
  close(secret: string | undefined): string | undefined;
  /** Ends every session of a user. */
  closeUser(userId: string): number;
  /** True while a session (by id) is live: not ended, not idle, its user enabled. Records no activity. */
  alive(sessionId: string): boolean;
}

export function createSessions(opts: SessionsOptions): Sessions {
  const { users, sessions } = opts;
  const idleMs = opts.idleMs ?? 30 * 60_000;
  const now = opts.now ?? Date.now;
  // Activity is written at most this often per session: not one write per request.
  const touchEveryMs = Math.min(60_000, Math.max(1000, Math.floor(idleMs / 10)));
  let lastPurge = 0;
  return {
    idleMs,
    open(user) {
      const secret = newSecret();
      sessions.create(hashToken(secret), user.id);
      return secret;
    },
    resolve(secret) {
      if (!secret) return undefined;
      const at = now();
      if (at - lastPurge > 60_000) {
        lastPurge = at;
        sessions.purgeIdle(at - idleMs);
      }
      const id = hashToken(secret);
      const session = sessions.get(id);
      if (!session) return undefined;
      if (at - session.lastSeenAt >= idleMs) {
        sessions.delete(id);
        return undefined;
      }
      const user = users.get(session.userId);
      if (!user || user.disabled) {
        sessions.delete(id);
        return undefined;
      }
      if (at - session.lastSeenAt >= touchEveryMs) sessions.touch(id, at);
      return { sessionId: id, user };
    },
    close(secret) {
      if (!secret) return undefined;
      const id = hashToken(secret);
      return sessions.delete(id) ? id : undefined;
    },
    closeUser: (userId) => sessions.deleteForUser(userId),
    alive(sessionId) {
      const session = sessions.get(sessionId);
      if (!session || now() - session.lastSeenAt >= idleMs) return false;
      const user = users.get(session.userId);
      return user !== undefined && !user.disabled;
    },
  };
}

/** The value of one cookie in a `Cookie` header (RFC 6265 cookie-string), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  }
  return undefined;
}

/**
 * True when a browser request comes from the page's own origin: its `Origin` names the host it was sent to.
 * Browsers send `Origin` with every request whose method is not GET or HEAD, so a write without one did not come
 * from a page of ours either.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
