import type { Server as HttpServer } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { DEVICE_ID, type Logger, type Reading } from '../core/index.js';
import { SEVERITIES, alertView, pushKindOf, type Alert, type AlertEngine, type PushKind } from '../alerts/index.js';
import type { Authenticate, Principal } from './auth.js';
import { DEFAULT_LIVE_LIMITS, SubscribeRate, backlog, overBound, whenDrained, type LiveLimits } from './live-flow.js';
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
  /** Replay pages, the subscribe rate and the backlog bound (live-flow.ts); the defaults suit production. */
  limits?: Partial<LiveLimits>;
}

/** The Socket.IO side of the API, attached to the HTTP server. */
export interface Live {
  /** Pushes `device:status` to the clients whose filter covers the device. */
  deviceStatus(deviceId: string, status: DeviceStatus, lastSeen: number | null | undefined): void;
  /** Pushes `reading` events to the clients watching these readings' devices. */
  readings(batch: readonly Reading[]): void;
  clients(): number;
  /** Disconnects every client and stops answering Socket.IO; the HTTP server stays open. */
  stop(): Promise<void>;
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
  /** False while a replay runs or after a capped one: live transitions then wait in the store for the replay. */
  live: boolean;
  /** Which subscribe's replay is current; a newer subscribe ends the older replay. */
  replayGen: number;
  rate: SubscribeRate;
}

type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

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
async function admit(authenticate: Authenticate, socket: LiveSocket, limits: LiveLimits): Promise<'rate_limited' | 'unauthorized' | undefined> {
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

/** Attaches the Socket.IO server (docs/contract.md section 6) to `server` at the default path `/socket.io/`. */
export function attachLive(server: HttpServer, deps: LiveDeps): Live {
  const { alerts, authenticate, log } = deps;
  const limits: LiveLimits = { ...DEFAULT_LIVE_LIMITS, ...deps.limits };
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
  const dropped = new Counter({
    name: 'citysense_socketio_clients_dropped_total',
    help: 'Socket.IO clients disconnected because their unsent backlog passed its bound (they did not read)',
    registers: [deps.metrics],
  });

  /** Tells a client that does not read that it is dropped (an event it sees if it reads again), then drops it. */
  function drop(socket: LiveSocket): void {
    const { packets, bytes } = backlog(socket);
    dropped.inc();
    log.info({ token: socket.data.principal.name, address: socket.handshake.address, packets, bytes }, 'Socket.IO client dropped: its unsent backlog passed the bound (it does not read)');
    socket.data.live = false;
    socket.emit('live:overflow', { code: 'slow_consumer', message: `more than ${limits.maxBufferedPackets} packets or ${limits.maxBufferedBytes} bytes waited for this client: disconnected; reconnect and subscribe with since to catch up` });
    socket.disconnect(true);
    // A client that does not read never lets the close through its backlog: end the transport so the memory goes.
    setTimeout(() => {
      const ws = (socket.conn.transport as unknown as { socket?: { terminate?: () => void } }).socket;
      if (ws?.terminate) ws.terminate();
      else socket.conn.close(true);
    }, 5000).unref();
  }
  const sweep = setInterval(() => {
    for (const socket of sockets().values()) if (overBound(socket, limits)) drop(socket);
  }, 1000);
  sweep.unref();

  /**
   * Sends the transitions after `since` in pages, each once the previous one has left the process, then the snapshot
   * and live events. The last page is read and the socket made live in one synchronous step: no transition falls
   * between the replay and the live events (a transition during a wait is in the store and comes in a later page).
   */
  async function replay(socket: LiveSocket, since: number, matcher: Matcher, gen: number): Promise<void> {
    const stale = () => socket.data.replayGen !== gen;
    let after = since;
    for (let sent = 0; ;) {
      if (stale() || !socket.connected) return;
      const events = alerts.eventsAfter(after, limits.replayPage);
      for (const e of events) {
        const kind = pushKindOf(e);
        if (kind && matches(socket, e.alert, matcher)) emitAlert(socket, kind, e.alert);
      }
      if (events.length < limits.replayPage) {
        socket.data.live = true;
        socket.emit('alerts:snapshot', snapshot(socket));
        return;
      }
      after = events[events.length - 1]!.eventId;
      sent += events.length;
      if (sent >= limits.replayMax) {
        socket.emit('replay:capped', { since: after, message: `a replay sends at most ${limits.replayMax} transitions: subscribe again with since ${after} for the rest` });
        return;
      }
      if (overBound(socket, limits)) return drop(socket);
      if (!(await whenDrained(socket, stale))) return;
    }
  }

  // The client's filter narrows what its principal's scope holds; it never widens it.
  const matches = (socket: LiveSocket, a: Alert, m: Matcher = socket.data.matcher) =>
    inScope(socket.data.principal.scope, a) &&
    allows(m.domains, a.domain) && allows(m.types, a.type) && allows(m.severities, a.severity) && allows(m.districts, a.district) && allows(m.deviceIds, a.deviceId);
  const snapshot = (socket: LiveSocket) => alerts.activeAlerts().filter((a) => matches(socket, a)).map(alertView);

  io.use((socket, next) => {
    admit(authenticate, socket, limits).then((refusal) => next(refusal ? new Error(refusal) : undefined), next);
  });

  const isInScope = (scope: Principal['scope'], deviceId: string) => {
    const d = deps.devices?.get(deviceId);
    return d !== undefined && inScope(scope, d);
  };

  io.on('connection', (socket: LiveSocket) => {
    socket.emit('alerts:snapshot', snapshot(socket));

    socket.on('subscribe', (request, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      // A burst of requests from a client that does not read is caught here, before it is sent anything more.
      if (overBound(socket, limits)) return drop(socket);
      const wait = socket.data.rate.take();
      if (wait !== undefined) {
        return reply({ error: { code: 'rate_limited', message: `at most ${limits.subscribesPerMinute} subscribe requests a minute: try again in ${wait} s` } });
      }
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
      const gen = ++socket.data.replayGen;
      if (since === undefined) {
        socket.data.live = true;
        socket.emit('alerts:snapshot', snapshot(socket));
        return;
      }
      socket.data.live = false;
      replay(socket, since, matcher, gen).catch((err: unknown) => {
        log.error({ err, token: socket.data.principal.name }, 'Socket.IO replay failed: client disconnected');
        socket.disconnect(true);
      });
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
    for (const socket of sockets().values()) if (socket.data.live && matches(socket, alert)) emitAlert(socket, kind, alert);
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
    async stop() {
      unsubscribe();
      stopEnding();
      clearInterval(sweep);
      io.disconnectSockets(true);
      io.engine.close();
      log.debug('socket.io closed');
    },
  };
}
