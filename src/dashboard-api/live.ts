import type { Server as HttpServer } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import { Server } from 'socket.io';
import { matches, type Logger, type Reading } from '../core/index.js';
import { alertView, pushKindOf, type Alert, type AlertEngine, type PushKind } from '../alerts/index.js';
import type { Authenticate, Principal } from './auth.js';
import { DEFAULT_LIVE_LIMITS, overBound, slowConsumers, whenDrained, type LiveLimits } from './live-flow.js';
import { endConnections } from './live-ends.js';
import { listenRequests, type RequestContext } from './live-requests.js';
import { admit, room, type LiveSocket, type Matcher, type SocketData } from './live-socket.js';
import { inScope } from './scope.js';
import type { ClientToServerEvents, DeviceStatus, ServerToClientEvents } from './schemas/index.js';

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

function emitAlert(socket: LiveSocket, kind: PushKind, alert: Alert): void {
  const view = alertView(alert);
  if (kind === 'fired') socket.emit('alert:fired', view);
  else if (kind === 'acknowledged') socket.emit('alert:acknowledged', view);
  else socket.emit('alert:resolved', view);
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
  const slow = slowConsumers(() => sockets().values(), limits, deps.metrics, log);

  /** Live events from now on, after a fresh snapshot of the active alerts the filter covers. */
  function goLive(socket: LiveSocket): void {
    socket.data.live = true;
    socket.emit('alerts:snapshot', snapshot(socket));
  }

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
        if (kind && covers(socket, e.alert, matcher)) emitAlert(socket, kind, e.alert);
      }
      if (events.length < limits.replayPage) return goLive(socket);
      after = events[events.length - 1]!.eventId;
      sent += events.length;
      if (sent >= limits.replayMax) {
        socket.emit('replay:capped', { since: after, message: `a replay sends at most ${limits.replayMax} transitions: subscribe again with since ${after} for the rest` });
        return;
      }
      if (overBound(socket, limits)) return slow.drop(socket);
      if (!(await whenDrained(socket, stale))) return;
    }
  }

  // The client's filter narrows what its principal's scope holds; it never widens it.
  const covers = (socket: LiveSocket, a: Alert, m: Matcher = socket.data.matcher) => inScope(socket.data.principal.scope, a) && matches(m, a);
  const snapshot = (socket: LiveSocket) => alerts.activeAlerts().filter((a) => covers(socket, a)).map(alertView);

  io.use((socket, next) => {
    admit(authenticate, socket, limits).then((refusal) => next(refusal ? new Error(refusal) : undefined), next);
  });

  const isInScope = (scope: Principal['scope'], deviceId: string) => {
    const d = deps.devices?.get(deviceId);
    return d !== undefined && inScope(scope, d);
  };

  const requests: RequestContext = { limits, log, drop: slow.drop, goLive, replay, isInScope };
  io.on('connection', (socket: LiveSocket) => {
    socket.emit('alerts:snapshot', snapshot(socket));
    listenRequests(socket, requests);
  });

  // Notifications go out only on transitions; a silenced alert's firing is recorded but not pushed.
  const unsubscribe = alerts.onTransition((alert, kind) => {
    if (kind === 'fired' && alert.silenced) return;
    for (const socket of sockets().values()) if (socket.data.live && covers(socket, alert)) emitAlert(socket, kind, alert);
  });

  const stopEnding = endConnections(() => sockets().values(), authenticate, log);

  return {
    deviceStatus(deviceId, status, lastSeen) {
      const event = { deviceId, status, lastSeen: lastSeen == null ? null : new Date(lastSeen).toISOString() };
      let info: { domain: string; type: string; district?: string | null } | undefined | null = null;
      for (const socket of sockets().values()) {
        // A device has no severity: the filter's severities do not narrow its status.
        const { domain, type, district, deviceId: ids } = socket.data.matcher;
        if (!matches({ deviceId: ids }, { deviceId })) continue;
        const { scope } = socket.data.principal;
        if (domain || type || district || scope) {
          if (info === null) info = deps.devices?.get(deviceId);
          if (!info || !matches({ domain, type, district }, { domain: info.domain, type: info.type, district: info.district ?? null }) || !inScope(scope, info)) continue;
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
      slow.close();
      io.disconnectSockets(true);
      io.engine.close();
      log.debug('socket.io closed');
    },
  };
}
