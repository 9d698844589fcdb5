// Bounds on what one Socket.IO client can make the server hold: the replay of `subscribe {since}` goes in pages,
// each sent once the previous one has left; `subscribe` is rate-limited; a client whose unsent backlog passes a
// bound is told so and dropped.
import { Counter, type Registry } from 'prom-client';
import type { Socket } from 'socket.io';
import type { Logger } from '../core/index.js';

/** The bounds, overridable for tests. */
export interface LiveLimits {
  /** Transitions per replay page; the next page waits until the client's backlog has drained. */
  replayPage: number;
  /** Transitions one `subscribe` replays; past it the client gets `replay:capped` and must subscribe again. */
  replayMax: number;
  /** `subscribe` requests a client may make per minute. */
  subscribesPerMinute: number;
  /** Unsent bytes (WebSocket) past which a client is dropped. */
  maxBufferedBytes: number;
  /** Unsent packets (any transport) past which a client is dropped. */
  maxBufferedPackets: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  replayPage: 500,
  replayMax: 10_000,
  subscribesPerMinute: 20,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxBufferedPackets: 5000,
};

/** What the engine.io connection under a Socket.IO socket still holds for the client. */
interface EngineConn {
  writeBuffer: unknown[];
  transport: { writable: boolean; socket?: { bufferedAmount?: number } };
}

const connOf = (socket: Socket) => socket.conn as unknown as EngineConn;

/** The client's unsent backlog: packets engine.io holds, and bytes the WebSocket has not written yet. */
export function backlog(socket: Socket): { packets: number; bytes: number } {
  const conn = connOf(socket);
  return { packets: conn.writeBuffer.length, bytes: conn.transport.socket?.bufferedAmount ?? 0 };
}

/** Whether the backlog passes the limits. */
export function overBound(socket: Socket, limits: LiveLimits): boolean {
  const b = backlog(socket);
  return b.bytes > limits.maxBufferedBytes || b.packets > limits.maxBufferedPackets;
}

/** Whether everything sent so far has left the process (nothing buffered, the transport ready for more). */
function drained(socket: Socket): boolean {
  const conn = connOf(socket);
  return conn.writeBuffer.length === 0 && conn.transport.writable && (conn.transport.socket?.bufferedAmount ?? 0) === 0;
}

/** Resolves true once the client's backlog has drained, false if it disconnects or `cancelled()` first. */
export function whenDrained(socket: Socket, cancelled: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (!socket.connected || cancelled()) return resolve(false);
      if (drained(socket)) return resolve(true);
      setTimeout(check, 10).unref();
    };
    check();
  });
}

/** A fixed one-minute window of `subscribe` requests per client. */
export class SubscribeRate {
  private windowStart = 0;
  private count = 0;
  constructor(private readonly perMinute: number) {}

  /** Takes one request; undefined when allowed, else the seconds until the window ends. */
  take(now = Date.now()): number | undefined {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.count = 0;
    }
    if (this.count >= this.perMinute) return Math.ceil((this.windowStart + 60_000 - now) / 1000);
    this.count++;
    return undefined;
  }
}

/** What dropping a slow client needs of its socket. */
interface Droppable extends Socket {
  data: { principal: { name: string }; live: boolean };
}

/**
 * Drops clients whose unsent backlog passed the bounds: checked every second and by `drop` callers, counted in
 * `citysense_socketio_clients_dropped_total`. Returns `drop` (for callers that found one over the bound) and `close`.
 */
export function slowConsumers(sockets: () => Iterable<Droppable>, limits: LiveLimits, metrics: Registry, log: Logger) {
  const dropped = new Counter({
    name: 'citysense_socketio_clients_dropped_total',
    help: 'Socket.IO clients disconnected because their unsent backlog passed its bound (they did not read)',
    registers: [metrics],
  });

  /** Tells a client that does not read that it is dropped (an event it sees if it reads again), then drops it. */
  function drop(socket: Droppable): void {
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
    for (const socket of sockets()) if (overBound(socket, limits)) drop(socket);
  }, 1000);
  sweep.unref();
  return { drop, close: () => clearInterval(sweep) };
}
