import type { Client, PublishPacket } from 'aedes';

/*
 * Why: aedes 1.2 keeps per client id, in its persistence, every QoS 2 message received and not yet released
 * (PUBREL), whole, across reconnects (its maxInflightInbound counts per connection), and every QoS 1/2 message
 * queued for a persistent session, with no bound. A device's credentials could fill the broker's memory with either
 * (3 × 900 unreleased 200 KB publishes held ~527 MB). So the persistence's methods are wrapped here (the one place
 * both pass through):
 * - an unreleased QoS 2 message is stored without its payload: aedes only ever asks whether its id is there
 *   (duplicate check, PUBREL); at most `maxUnreleased` per client id (a further new id closes the connection
 *   without PUBREC) and each expires after `unreleasedTtlMs` (EMQX: 100 and 300 s);
 * - a client id's queue (queued for an offline session, or sent and not yet acknowledged) holds at most `maxQueued`
 *   messages and `maxQueuedBytes` of payload (Mosquitto and EMQX: 1000 messages); past that a message is dropped
 *   for that client id, counted and logged once until its queue is below the bound again.
 * A live clean session keeps nothing in the persistence: what waits for it is in its connection's buffer, bounded
 * in authorizeForward (subscribe.ts) by `maxBufferedBytes`.
 */

export interface SessionLimits {
  maxUnreleased: number;
  unreleasedTtlMs: number;
  maxQueued: number;
  maxQueuedBytes: number;
  /** Bytes waiting in a live clean session's connection past which messages for it are dropped. */
  maxBufferedBytes: number;
  /** QoS 1 messages sent to one connection and not yet acknowledged; the rest wait (inflight-window.ts). */
  maxInflight: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxUnreleased: 100,
  unreleasedTtlMs: 300_000,
  maxQueued: 1000,
  maxQueuedBytes: 4 * 1024 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxInflight: 20, // Mosquitto's max_inflight_messages (EMQX: 32)
};

export type DropReason = 'queue_full' | 'unreleased_full' | 'unreleased_expired';

/** What an operator reads about a drop. */
export function describeDrop(reason: DropReason, count: number, limits: SessionLimits): string {
  if (reason === 'queue_full') {
    return `its queue is full (${limits.maxQueued} messages or ${limits.maxQueuedBytes} bytes queued, or ${limits.maxBufferedBytes} bytes unsent): messages for it are dropped until it catches up`;
  }
  if (reason === 'unreleased_full') return `${limits.maxUnreleased} QoS 2 messages await PUBREL: a new one closes the connection unacknowledged`;
  return `${count} QoS 2 messages awaited PUBREL for over ${limits.unreleasedTtlMs} ms and were forgotten`;
}

type ClientRef = { id: string };
type Packetish = { messageId?: number; payload?: Buffer | string };

/** The persistence calls wrapped (aedes-persistence 11's in-memory one; its d.ts leaves them untyped). */
interface Persistence {
  incomingStorePacket(client: ClientRef, packet: PublishPacket): Promise<void>;
  incomingDelPacket(client: ClientRef, packet: { messageId: number }): Promise<void>;
  cleanIncoming(client: ClientRef): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: Packetish): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packetish): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: Packetish): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: Packetish): Promise<Packetish | undefined>;
}

const EMPTY = Buffer.alloc(0);
const sizeOf = (p: Packetish) => (p.payload ? p.payload.length : 0);

/** Per client id: the unreleased QoS 2 ids (with when each was stored) and the size of its queue. */
export class SessionBounds {
  private readonly unreleased = new Map<string, Map<number, number>>();
  private readonly queues = new Map<string, { count: number; bytes: number }>();
  /** Client ids dropping queued messages now (logged once per episode). */
  private readonly overflowing = new Set<string>();
  /** Live clean sessions that have dropped messages (logged once per connection). */
  private readonly overflowingLive = new WeakSet<Client>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly persistence: Persistence,
    readonly limits: SessionLimits,
    private readonly dropped: (clientId: string, reason: DropReason, count: number, first: boolean) => void,
    /** The live connection of a client id, if any: an expired id frees its aedes receive-window slot too. */
    private readonly liveClient: (clientId: string) => Client | undefined,
  ) {
    this.wrap();
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.min(30_000, Math.max(50, limits.unreleasedTtlMs / 4)));
    this.sweeper.unref();
  }

  /** Whether a message may go to a live connection with `buffered` bytes unsent (a clean session's only queue). */
  forwardable(client: Client, buffered: number): boolean {
    if (!client.clean || buffered <= this.limits.maxBufferedBytes) return true;
    const first = !this.overflowingLive.has(client);
    this.overflowingLive.add(client);
    this.dropped(client.id, 'queue_full', 1, first);
    return false;
  }

  /** Whether a client id's queue is full (messages for it are being dropped). */
  queueFull(clientId: string): boolean {
    return this.overflowing.has(clientId);
  }

  /** Whether a new QoS 2 id would pass the client id's bound; `inProgress`: its other ids still with the handler. */
  unreleasedFull(clientId: string, inProgress: Iterable<number>, messageId: number): boolean {
    const stored = this.unreleased.get(clientId);
    let n = stored?.size ?? 0;
    for (const id of inProgress) if (id !== messageId && !stored?.has(id)) n++;
    return n >= this.limits.maxUnreleased;
  }

  /** Forgets expired unreleased QoS 2 messages (MQTT leaves their lifetime to the server). */
  expire(now: number): void {
    const p = this.persistence;
    for (const [clientId, ids] of this.unreleased) {
      let n = 0;
      for (const [id, at] of ids) {
        if (now - at < this.limits.unreleasedTtlMs) continue;
        ids.delete(id);
        n++;
        void p.incomingDelPacket({ id: clientId }, { messageId: id }).catch(() => undefined);
        (this.liveClient(clientId) as unknown as { _inboundInflight?: Set<number> } | undefined)?._inboundInflight?.delete(id);
      }
      if (ids.size === 0) this.unreleased.delete(clientId);
      if (n > 0) this.dropped(clientId, 'unreleased_expired', n, true);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private wrap(): void {
    const p = this.persistence;
    const store = p.incomingStorePacket.bind(p);
    const del = p.incomingDelPacket.bind(p);
    const clean = p.cleanIncoming.bind(p);
    const enqueue = p.outgoingEnqueue.bind(p);
    const enqueueCombi = p.outgoingEnqueueCombi.bind(p);
    const update = p.outgoingUpdate.bind(p);
    const clear = p.outgoingClearMessageId.bind(p);

    p.incomingStorePacket = (client, packet) => {
      let ids = this.unreleased.get(client.id);
      if (!ids) this.unreleased.set(client.id, (ids = new Map()));
      ids.set(packet.messageId!, Date.now());
      const { cmd, topic, qos, messageId } = packet;
      return store(client, { cmd, topic, qos, messageId, retain: false, dup: false, payload: EMPTY });
    };
    p.incomingDelPacket = (client, packet) => {
      const ids = this.unreleased.get(client.id);
      if (ids?.delete(packet.messageId) && ids.size === 0) this.unreleased.delete(client.id);
      return del(client, packet);
    };
    p.cleanIncoming = (client) => {
      this.unreleased.delete(client.id);
      return clean(client);
    };
    p.outgoingEnqueue = (sub, packet) => (this.admit(sub.clientId, packet) ? enqueue(sub, packet) : Promise.resolve());
    p.outgoingEnqueueCombi = (subs, packet) => {
      let kept: { clientId: string }[] | undefined;
      for (let i = 0; i < subs.length; i++) {
        if (this.admit(subs[i].clientId, packet)) kept?.push(subs[i]);
        else kept ??= subs.slice(0, i); // copied only when one is dropped
      }
      return enqueueCombi(kept ?? subs, packet);
    };
    p.outgoingUpdate = (client, packet) => update(client, packet).catch((err: unknown) => {
      // The message was dropped from this client id's full queue while it is connected: aedes then closes it.
      if (this.overflowing.has(client.id)) throw new Error(`session queue full (${this.limits.maxQueued} messages or ${this.limits.maxQueuedBytes} bytes): connection closed`);
      throw err;
    });
    p.outgoingClearMessageId = (client, packet) => clear(client, packet).then((removed) => {
      if (removed) this.release(client.id, removed);
      return removed;
    });
  }

  /** Counts a message into a client id's queue, or says it must be dropped. */
  private admit(clientId: string, packet: Packetish): boolean {
    let q = this.queues.get(clientId);
    if (!q) this.queues.set(clientId, (q = { count: 0, bytes: 0 }));
    const bytes = sizeOf(packet);
    if (q.count >= this.limits.maxQueued || q.bytes + bytes > this.limits.maxQueuedBytes) {
      const first = !this.overflowing.has(clientId);
      this.overflowing.add(clientId);
      this.dropped(clientId, 'queue_full', 1, first);
      return false;
    }
    q.count++;
    q.bytes += bytes;
    return true;
  }

  private release(clientId: string, removed: Packetish): void {
    const q = this.queues.get(clientId);
    if (!q) return;
    q.count = Math.max(0, q.count - 1);
    q.bytes = Math.max(0, q.bytes - sizeOf(removed));
    if (q.count === 0) this.queues.delete(clientId);
    if (q.count < this.limits.maxQueued && q.bytes < this.limits.maxQueuedBytes) this.overflowing.delete(clientId);
  }
}
