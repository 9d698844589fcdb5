// The Socket.IO connection: feeds the alert board, resumes with `since` after every drop, and reports its state.
import { io, type Socket } from 'socket.io-client';
import type { AlertBoard } from './alert-board.js';
import type { Alert, AlertKind, ClientToServerEvents, DeviceStatusEvent, ReadingEvent, ServerToClientEvents } from '../types.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface LiveHandlers {
  onStatus(status: LiveStatus): void;
  /** A fresh critical alert fired (live, or caught up after a drop). */
  onAlarm(alert: Alert): void;
  onDeviceStatus(event: DeviceStatusEvent): void;
  onReading(event: ReadingEvent): void;
}

export interface Live {
  /** Readings of these devices are pushed while watched (the server allows 100 at a time). */
  watch(deviceIds: string[]): void;
  unwatch(deviceIds: string[]): void;
  close(): void;
}

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects to the Socket.IO server of this origin with the session token. */
export function connectLive(token: string, board: AlertBoard, seeded: boolean, handlers: LiveHandlers): Live {
  const socket: LiveSocket = io({
    path: new URL('socket.io', document.baseURI).pathname,
    // No token: a signed-in person, whose session cookie goes with the handshake.
    auth: token ? { token } : {},
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
    timeout: 8000,
  });
  const watched = new Set<string>();
  handlers.onStatus('connecting');

  socket.on('connect', () => {
    // With `since` the server replays every transition after the last one we saw, then a fresh snapshot.
    const since = board.lastEventId > 0 || seeded ? board.lastEventId : undefined;
    socket.emit('subscribe', since === undefined ? {} : { since }, () => undefined);
    if (watched.size) socket.emit('watch', { deviceIds: [...watched] }, () => undefined);
    handlers.onStatus('live');
  });
  socket.on('disconnect', (reason) => {
    // "io server disconnect": the server closed it on purpose; socket.io does not retry on its own then.
    if (reason === 'io server disconnect') socket.connect();
    handlers.onStatus('reconnecting');
  });
  socket.on('connect_error', (err) => {
    if (err.message === 'unauthorized') {
      handlers.onStatus('unauthorized');
      socket.close();
      return;
    }
    handlers.onStatus('reconnecting');
  });

  socket.on('alerts:snapshot', (alerts) => board.applySnapshot(alerts));
  // A long absence is replayed in capped parts: each ends with where to go on from.
  socket.on('replay:capped', ({ since }) => socket.emit('subscribe', { since }, () => undefined));
  const onAlert = (kind: AlertKind) => (alert: Alert) => {
    if (board.applyEvent(kind, alert).alarm) handlers.onAlarm(alert);
  };
  socket.on('alert:fired', onAlert('fired'));
  socket.on('alert:acknowledged', onAlert('acknowledged'));
  socket.on('alert:resolved', onAlert('resolved'));
  socket.on('device:status', (e) => handlers.onDeviceStatus(e));
  socket.on('reading', (e) => handlers.onReading(e));

  return {
    watch(deviceIds) {
      const fresh = deviceIds.filter((id) => !watched.has(id));
      for (const id of fresh) watched.add(id);
      if (fresh.length && socket.connected) socket.emit('watch', { deviceIds: fresh }, () => undefined);
    },
    unwatch(deviceIds) {
      for (const id of deviceIds) watched.delete(id);
      if (socket.connected) socket.emit('unwatch', { deviceIds }, () => undefined);
    },
    close: () => void socket.close(),
  };
}
