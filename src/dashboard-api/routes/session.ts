import type { Request } from 'express';
import { AppError, type Logger } from '../../core/index.js';
import type { UserStore } from '../../storage/index.js';
import type { Authenticate } from '../auth.js';
import type { ApiDefinition } from '../define.js';
import type { LoginThrottle } from '../login-throttle.js';
import { verifyPassword } from '../passwords.js';
import { signInSchema, signedInSchema, whoamiSchema, type SignedIn, type Whoami } from '../schemas/index.js';
import { SESSION_COOKIE, cookieValue, sameOrigin, type Sessions } from '../sessions.js';

/** Who the bearer token or session cookie belongs to: the console shows it and only what the role may do. */
export function sessionRoutes(api: ApiDefinition) {
  const { router, op } = api.router('/api');
  op(
    { method: 'get', path: '/api/whoami', tag: 'session', summary: 'The name, role and scope of the caller', role: 'viewer',
      description: 'Lets a client check a token or its session and learn its role and scope without trying calls that need more.',
      responses: { 200: { description: 'the caller\'s principal', schema: whoamiSchema } } },
    (req, res) => {
      const p = req.principal!;
      res.json({ name: p.name, role: p.role, ...(p.scope ? { scope: p.scope } : {}), ...(p.user ? { userId: p.user.id, username: p.user.username } : {}) } satisfies Whoami);
    },
  );
  return router;
}

export interface SignInDeps {
  users: UserStore;
  sessions: Sessions;
  authenticate: Authenticate;
  throttle: LoginThrottle;
  log: Logger;
}

// Behind an HTTPS proxy the cookie is marked Secure. The header is trusted for this flag only: a client that fakes
// it just gets a cookie its own plain-HTTP requests will not carry.
const overHttps = (req: Request) => req.secure || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() === 'https';

/** Cross-site sign-in or sign-out attempts (a form on another site posting here) are refused. */
function checkOrigin(req: Request): void {
  if (req.headers.origin !== undefined && !sameOrigin(req.headers.origin, req.headers.host)) {
    throw new AppError('cross_site_request', `a sign-in request must come from the console's own origin, not ${req.headers.origin}`, 403);
  }
}

/**
 * Sign-in and sign-out with a username and password (docs/contract.md section 11). Mounted before the token gate:
 * a bad password is throttled per username (and, far more loosely, per address), so one person's failures do not
 * lock the others of a control room out.
 */
export function signInRoutes(api: ApiDefinition, { users, sessions, authenticate, throttle, log }: SignInDeps) {
  const { router, op } = api.router('/api');
  op(
    { method: 'post', path: '/api/session', tag: 'session', summary: 'Sign in with a username and password', body: signInSchema,
      description: `Sets an HTTP-only, SameSite=Strict cookie \`${SESSION_COOKIE}\` (Secure behind HTTPS); the session ends after ${Math.round(sessions.idleMs / 60_000)} min without a request, at sign-out, or when the user is disabled or deleted. Writes signed in with the cookie must carry the console's own \`Origin\`. After 10 failed sign-ins for one username in a minute, that username is refused (429) for the rest of it.`,
      responses: { 200: { description: 'signed in; the cookie is set', schema: signedInSchema } },
      errors: [401, 403, 429] },
    async (req, res, { body }) => {
      checkOrigin(req);
      const address = req.socket.remoteAddress;
      const wait = await throttle.retryAfterS(body.username, address);
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        throw new AppError('too_many_requests', `too many failed sign-ins for ${body.username} (or from this address); retry in ${wait} s`, 429);
      }
      const found = users.findByUsername(body.username);
      const ok = await verifyPassword(body.password, found?.passwordHash);
      if (!ok || !found || found.user.disabled) {
        await throttle.failed(body.username, address);
        log.info({ username: body.username, address, reason: ok ? 'disabled' : 'bad_password' }, 'sign-in refused');
        throw new AppError('invalid_credentials', 'wrong username or password (or the user is disabled)', 401);
      }
      await throttle.succeeded(body.username);
      const u = found.user;
      res.cookie(SESSION_COOKIE, sessions.open(u), { httpOnly: true, sameSite: 'strict', secure: overHttps(req), path: '/' });
      log.info({ userId: u.id, username: u.username, role: u.role, scope: u.scope, address }, 'user signed in');
      res.json({
        user: { name: u.name, role: u.role, ...(u.scope ? { scope: u.scope } : {}), userId: u.id, username: u.username },
        idleTimeoutS: Math.round(sessions.idleMs / 1000),
      } satisfies SignedIn);
    },
  );
  op(
    { method: 'delete', path: '/api/session', tag: 'session', summary: 'Sign out',
      description: 'Ends the session of the cookie (and its Socket.IO connections) and clears the cookie; without one, nothing to end.',
      responses: { 204: { description: 'signed out' } }, errors: [403] },
    (req, res) => {
      checkOrigin(req);
      const ended = sessions.close(cookieValue(req.headers.cookie, SESSION_COOKIE));
      if (ended) {
        authenticate.endSession(ended);
        log.info({ address: req.socket.remoteAddress }, 'user signed out');
      }
      res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: overHttps(req), path: '/' });
      res.status(204).end();
    },
  );
  return router;
}
