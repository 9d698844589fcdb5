// A Socket.IO connection's state and its admission: the handshake names the principal, and the state starts empty.
import type { Socket } from 'socket.io';
import type { Alert, Match } from '../core/index.js';
import type { Authenticate, Principal } from './auth.js';
import { SubscribeRate, type LiveLimits } from './live-flow.js';
import type { ClientToServerEvents, LiveFilter, ServerToClientEvents } from './schemas/index.js';
import { SESSION_COOKIE, cookieValue, sameOrigin } from './sessions.js';

/** A client's filter as core's match of an alert: each list it names, as a Set of the values allowed. */
export type Matcher = Match<Pick<Alert, 'domain' | 'type' | 'severity' | 'district' | 'deviceId'>>;

export interface SocketData {
  principal: Principal;
  filter: LiveFilter;
  matcher: Matcher;
  watched: Set<string>;
  /** False while a replay runs or after a capped one: live transitions then wait in the store for the replay. */
  live: boolean;
  /** Which subscribe's replay is current; a newer subscribe ends the older replay. */
  replayGen: number;
  rate: SubscribeRate;
}

/** The Socket.IO room of one device's watchers. */
export const room = (deviceId: string) => `device:${deviceId}`;

export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Admits a handshake, or names its refusal: the address is locked out, or the token (or session cookie) is missing or bad. */
export async function admit(authenticate: Authenticate, socket: LiveSocket, limits: LiveLimits): Promise<'rate_limited' | 'unauthorized' | undefined> {
  // One failure count with REST (its 429): bad tokens cannot be tried here without limit instead.
  // A valid token is never locked out: only attempts without one are throttled.
  const { address } = socket.handshake;
  const token: unknown = socket.handshake.auth?.token;
  let principal = typeof token === 'string' ? authenticate(token) : undefined;
  const { headers } = socket.handshake;
  // A signed-in console connects with its session cookie; from another site's page the cookie counts for nothing.
  // Browsers name the page's origin on every cross-origin request and WebSocket; only a same-origin GET (the
  // polling transport's) comes without one.
  if (!principal && token === undefined && (headers.origin === undefined || sameOrigin(headers.origin, headers.host))) principal = authenticate.session(cookieValue(headers.cookie, SESSION_COOKIE));
  if (!principal) {
    if (await authenticate.throttle.lockedOut(address)) {
      authenticate.throttle.refused(address, 'socketio');
      return 'rate_limited';
    }
    await authenticate.throttle.failed(address, 'socketio', token === undefined ? 'no_token' : 'bad_token');
    return 'unauthorized';
  }
  socket.data.principal = principal;
  socket.data.filter = {};
  socket.data.matcher = {};
  socket.data.watched = new Set();
  socket.data.live = true;
  socket.data.replayGen = 0;
  socket.data.rate = new SubscribeRate(limits.subscribesPerMinute);
  return undefined;
}
