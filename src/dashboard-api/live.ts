import type { Server as HttpServer } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { DEVICE_ID, type Logger, type Reading } from '../core/index.js';
import { SEVERITIES, alertView, pushKindOf, type Alert, type AlertEngine, type PushKind } from '../alerts/index.js';
import type { Authenticate, Principal } from './auth.js';
import { endConnections } from './live-ends.js';
import { inScope } from './scope.js';
import { SESSION_COOKIE, cookieValue, sameOrigin } from './sessions.js';
import {
  MAX_WATCHED,
  type ClientToServerEvents,
  type DeviceStatus,
  type LiveFilter,
  type ServerToClientEvents,
  type WatchAck,
} from './live-events.js';

export interface LiveDeps {
  alerts: Pick<AlertEngine, 'activeAlerts' | 'eventsAfter' | 'onTransition'>;
  authenticate: Authenticate;
  /** Device lookup, used only to filter `device:status` by domain, type or district. */
  devices?: { get(id: string): { domain: string; type: string; district?: string | null } | undefined };
  log: Logger;
  metrics: Registry;
}

/** The Socket.IO side of the API, attached to the HTTP server. */
export interface Live {
  /** Pushes `device:status` to the clients whose filter covers the device. */
  deviceStatus(deviceId: string, status: DeviceStatus, lastSeen: number | null | undefined): void;
  /** Pushes `reading` events to the clients watching these readings' devices. */
  readings(batch: readonly Reading[]): void;
  clients(): number;
  /** Disconnects every client and stops answering Socket.IO; the HTTP server stays open. */
  close(): Promise<void>;
}

interface Matcher {
  domains?: Set<string>;
  types?: Set<string>;
  severities?: Set<string>;
  districts?: Set<string>;
  deviceIds?: Set<string>;
}

interface SocketData {
  principal: Principal;
  filter: LiveFilter;
  matcher: Matcher;
  watched: Set<string>;
}

type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const REPLAY_CHUNK = 1000;
const names = z.array(z.string().min(1).max(100)).max(1000);
const subscribeSchema = z.strictObject({
  domains: names.optional(),
  types: names.optional(),
  severities: z.array(z.enum(SEVERITIES)).optional(),
  districts: names.optional(),
  deviceIds: z.array(z.string().regex(DEVICE_ID)).max(10_000).optional(),
  since: z.number().int().nonnegative().optional(),
});
const watchSchema = z.strictObject({ deviceIds: z.array(z.string().regex(DEVICE_ID, 'must be device ids')).max(MAX_WATCHED) });

const room = (deviceId: string) => `device:${deviceId}`;
const toSet = (list?: readonly string[]) => (list === undefined ? undefined : new Set(list));
const allows = (set: Set<string> | undefined, v: string | null | undefined) => set === undefined || (v != null && set.has(v));
const refusal = (err: z.ZodError) => {
  const i = err.issues[0]!;
  return { error: { code: 'bad_request', message: `${i.path.join('.') || 'request'}: ${i.message}` } };
};

function emitAlert(socket: LiveSocket, kind: PushKind, alert: Alert): void {
  const view = alertView(alert);
  if (kind === 'fired') socket.emit('alert:fired', view);
  else if (kind === 'acknowledged') socket.emit('alert:acknowledged', view);
  else socket.emit('alert:resolved', view);
}

/** Admits a handshake, or names its refusal: the address is locked out, or the token (or session cookie) is missing or bad. */
async function admit(authenticate: Authenticate, socket: LiveSocket): Promise<'rate_limited' | 'unauthorized' | undefined> {
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
  return undefined;
}

/** Attaches the Socket.IO server (docs/contract.md section 6) to `server` at the default path `/socket.io/`. */
export function attachLive(server: HttpServer, deps: LiveDeps): Live {
  const { alerts, authenticate, log } = deps;
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(server, {
    serveClient: false,
    // Other upgrade handlers share this server (MQTT over WebSocket at /mqtt): do not kill their upgrades.
    destroyUpgrade: false,
    maxHttpBufferSize: 64 * 1024,
  });
  const sockets = () => io.of('/').sockets as Map<string, LiveSocket>;

  new Gauge({
    name: 'citysense_socketio_clients',
    help: 'Connected Socket.IO clients',
    registers: [deps.metrics],
    collect() { this.set(sockets().size); },
  });

  // The client's filter narrows what its principal's scope holds; it never widens it.
  const matches = (socket: LiveSocket, a: Alert, m: Matcher = socket.data.matcher) =>
    inScope(socket.data.principal.scope, a) &&
    allows(m.domains, a.domain) && allows(m.types, a.type) && allows(m.severities, a.severity) && allows(m.districts, a.district) && allows(m.deviceIds, a.deviceId);
  const snapshot = (socket: LiveSocket) => alerts.activeAlerts().filter((a) => matches(socket, a)).map(alertView);

  io.use((socket, next) => {
    admit(authenticate, socket).then((refusal) => next(refusal ? new Error(refusal) : undefined), next);
  });

  const isInScope = (scope: Principal['scope'], deviceId: string) => {
    const d = deps.devices?.get(deviceId);
    return d !== undefined && inScope(scope, d);
  };

  io.on('connection', (socket: LiveSocket) => {
    socket.emit('alerts:snapshot', snapshot(socket));

    socket.on('subscribe', (request, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = subscribeSchema.safeParse(request ?? {});
      if (!parsed.success) return reply(refusal(parsed.error));
      const { since, ...filter } = parsed.data;
      const matcher: Matcher = {
        domains: toSet(filter.domains), types: toSet(filter.types), severities: toSet(filter.severities),
        districts: toSet(filter.districts), deviceIds: toSet(filter.deviceIds),
      };
      socket.data.filter = filter;
      socket.data.matcher = matcher;
      reply(filter);
      // All synchronous (the store is): no transition can slip between the replay and the live events.
      if (since !== undefined) {
        for (let after = since; ;) {
          const events = alerts.eventsAfter(after, REPLAY_CHUNK);
          for (const e of events) {
            const kind = pushKindOf(e);
            if (kind && matches(socket, e.alert, matcher)) emitAlert(socket, kind, e.alert);
          }
          if (events.length < REPLAY_CHUNK) break;
          after = events[events.length - 1]!.eventId;
        }
      }
      socket.emit('alerts:snapshot', snapshot(socket));
    });

    const watchReply = (): WatchAck => ({ deviceIds: [...socket.data.watched] });
    socket.on('watch', (request, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = watchSchema.safeParse(request ?? {});
      if (!parsed.success) return reply(refusal(parsed.error));
      const scope = socket.data.principal.scope;
      // A scoped client watches only devices of its scope; others (and unknown ids) are left out of the answer.
      const fresh = parsed.data.deviceIds.filter((id) => !socket.data.watched.has(id) && (!scope || isInScope(scope, id)));
      if (socket.data.watched.size + new Set(fresh).size > MAX_WATCHED) {
        return reply({ error: { code: 'too_many_watched', message: `a client may watch at most ${MAX_WATCHED} devices; unwatch some first` } });
      }
      for (const id of fresh) {
        socket.data.watched.add(id);
        void socket.join(room(id));
      }
      reply(watchReply());
    });
    socket.on('unwatch', (request, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = watchSchema.safeParse(request ?? {});
      if (!parsed.success) return reply(refusal(parsed.error));
      for (const id of parsed.data.deviceIds) {
        socket.data.watched.delete(id);
        void socket.leave(room(id));
      }
      reply(watchReply());
    });
  });

  // Notifications go out only on transitions; a silenced alert's firing is recorded but not pushed.
  const unsubscribe = alerts.onTransition((alert, kind) => {
    if (kind === 'fired' && alert.silenced) return;
    for (const socket of sockets().values()) if (matches(socket, alert)) emitAlert(socket, kind, alert);
  });

  const stopEnding = endConnections(() => sockets().values(), authenticate, log);

  return {
    deviceStatus(deviceId, status, lastSeen) {
      const event = { deviceId, status, lastSeen: lastSeen == null ? null : new Date(lastSeen).toISOString() };
      let info: { domain: string; type: string; district?: string | null } | undefined | null = null;
      for (const socket of sockets().values()) {
        const m = socket.data.matcher;
        if (!allows(m.deviceIds, deviceId)) continue;
        const { scope } = socket.data.principal;
        if (m.domains || m.types || m.districts || scope) {
          if (info === null) info = deps.devices?.get(deviceId);
          if (!info || !allows(m.domains, info.domain) || !allows(m.types, info.type) || !allows(m.districts, info.district) || !inScope(scope, info)) continue;
        }
        socket.emit('device:status', event);
      }
    },
    readings(batch) {
      const rooms = io.of('/').adapter.rooms;
      if (rooms.size === sockets().size) return; // only the sockets' own rooms: nobody watches anything
      for (const r of batch) {
        const name = room(r.deviceId);
        if (!rooms.has(name)) continue;
        io.to(name).emit('reading', { deviceId: r.deviceId, domain: r.domain, type: r.type, ts: new Date(r.ts).toISOString(), values: r.values });
      }
    },
    clients: () => sockets().size,
    async close() {
      unsubscribe();
      stopEnding();
      io.disconnectSockets(true);
      io.engine.close();
      log.debug('socket.io closed');
    },
  };
}
