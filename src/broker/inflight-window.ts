import type { Aedes, Client, PublishPacket } from 'aedes';
import type { DropReason } from './session-bounds.js';

/*
 * Why: aedes 1.2 sends a subscriber every QoS 1 message at once, however many it has not acknowledged; Mosquitto
 * (max_inflight_messages 20) and EMQX (max_inflight 32) keep a window. Here each connection's QoS 1 deliveries are
 * sent while fewer than `maxInflight` await their PUBACK; the rest wait, in order, in the connection's queue (at most
 * `maxQueued` messages and `maxQueuedBytes` of payload, past which they are dropped, counted and logged once per
 * connection) and go out one by one as PUBACKs arrive. A persistent session's messages are in its session queue
 * too (session-bounds.ts): one dropped here is still there and is sent again when the session reconnects; and once
 * that queue is full, a message goes straight on (aedes then closes the connection, as before the window).
 * Not windowed: QoS 2 deliveries, and what aedes resends from a persistent session's queue as it reconnects.
 */

export interface WindowLimits {
  maxInflight: number;
  maxQueued: number;
  maxQueuedBytes: number;
}

type Deliver = (packet: PublishPacket, cb: () => void) => void;
interface Waiting { packet: PublishPacket; bytes: number }
interface Window { inflight: number; waiting: Waiting[]; bytes: number; deliver: Deliver; overflowed: boolean }

const noop = () => undefined;
const sizeOf = (p: PublishPacket) => (p.payload ? p.payload.length : 0);

/** The in-flight window of every connection's QoS 1 deliveries. */
export class InflightWindows {
  private readonly windows = new WeakMap<Client, Window>();
  /** The client whose delivery aedes is deciding now (authorizeForward runs inside deliverQoS, synchronously). */
  private deciding: Client | undefined;
  private forwarded = false;

  constructor(
    aedes: Aedes,
    private readonly limits: WindowLimits,
    private readonly dropped: (clientId: string, reason: DropReason, count: number, first: boolean) => void,
    /** Whether a client id's session queue is full (a persistent session's message then goes on unwindowed). */
    private readonly sessionQueueFull: (clientId: string) => boolean,
  ) {
    const authorizeForward = aedes.authorizeForward.bind(aedes);
    aedes.authorizeForward = (client, packet) => {
      const out = authorizeForward(client, packet);
      if (out && client === this.deciding) this.forwarded = true;
      return out;
    };
    aedes.on('ack', (_packet, client) => {
      if (client) this.acked(client);
    });
  }

  /** Puts a connection's QoS 1 deliveries under the window; before it subscribes (aedes captures deliverQoS then). */
  attach(client: Client): void {
    const c = client as unknown as { deliverQoS: Deliver; subscriptions: Record<string, { qos?: number } | undefined> };
    const w: Window = { inflight: 0, waiting: [], bytes: 0, deliver: c.deliverQoS, overflowed: false };
    this.windows.set(client, w);
    c.deliverQoS = (packet, cb) => {
      const sub = c.subscriptions[packet.topic];
      const qos = Math.min(packet.qos, sub ? sub.qos ?? 0 : packet.qos);
      if (qos !== 1 || (!client.clean && this.sessionQueueFull(client.id))) return w.deliver(packet, cb);
      if (w.inflight < this.limits.maxInflight && w.waiting.length === 0) return this.send(client, w, packet, cb);
      const bytes = sizeOf(packet);
      if (w.waiting.length >= this.limits.maxQueued || w.bytes + bytes > this.limits.maxQueuedBytes) {
        this.dropped(client.id, 'queue_full', 1, !w.overflowed);
        w.overflowed = true;
      } else {
        w.waiting.push({ packet, bytes });
        w.bytes += bytes;
      }
      setImmediate(cb); // the emitter goes on; this message waits here, not in its queue
    };
  }

  /** How many QoS 1 messages a connection has sent and not had acknowledged, and how many wait (for tests, metrics). */
  state(client: Client): { inflight: number; waiting: number } | undefined {
    const w = this.windows.get(client);
    return w && { inflight: w.inflight, waiting: w.waiting.length };
  }

  private send(client: Client, w: Window, packet: PublishPacket, cb: () => void): void {
    this.deciding = client;
    this.forwarded = false;
    try {
      w.deliver(packet, cb);
    } finally {
      this.deciding = undefined;
    }
    if (this.forwarded) w.inflight++; // refused by authorizeForward (a full buffer, the sink topic): nothing went out
  }

  private acked(client: Client): void {
    const w = this.windows.get(client);
    if (!w) return;
    w.inflight = Math.max(0, w.inflight - 1);
    while (w.inflight < this.limits.maxInflight && w.waiting.length > 0) {
      const next = w.waiting.shift()!;
      w.bytes -= next.bytes;
      if (w.waiting.length === 0) w.overflowed = false;
      this.send(client, w, next.packet, noop);
    }
  }
}
