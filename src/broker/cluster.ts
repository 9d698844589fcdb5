import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import mqemitterRedis from 'mqemitter-redis';
import { ConfigError, type Logger } from '../core/index.js';
import { SINK_TOPIC } from './sink.js';

/*
 * Why (docs/architecture.md, "Several nodes"; README.md of this room): with REDIS_URL the nodes share what an MQTT
 * session is (subscriptions, queued messages, retained messages, wills, client-id takeover) through
 * aedes-persistence-redis and mqemitter-redis. A device's telemetry is not shared: it is consumed where it arrives
 * (authorizePublish hands it to ingest before the PUBACK), and no device may subscribe to another's telemetry, so
 * sending each reading through Redis would put Redis on the hot path for nothing. So:
 * - the message bus is two emitters: telemetry topics (`city/{domain}/{type}/{id}`) and the drop sink go to an
 *   in-process mqemitter, everything else (status, `$SYS` heartbeats, new-client takeover, subscription broadcasts)
 *   to Redis; a filter with a wildcard listens on both, a plain topic on the one that carries it;
 * - the QoS 2 receive state (packet ids awaiting PUBREL) stays in the node's memory, as without Redis: it is written
 *   and read for every QoS 2 reading. A QoS 2 exchange that a device resumes on another node before its PUBREL is
 *   then taken there as new (at least once; InfluxDB keeps one point per device and timestamp).
 */

/** A telemetry topic (`city/a/b/c`, the ACL's shape) or the drop sink: delivered on this node only. */
export function isLocalTopic(topic: string): boolean {
  if (topic === SINK_TOPIC) return true;
  if (!topic.startsWith('city/')) return false;
  let slashes = 0;
  for (let i = 5; i < topic.length; i++) if (topic.charCodeAt(i) === 47) slashes++;
  return slashes === 2;
}

const hasWildcard = (filter: string) => filter.includes('+') || filter.includes('#');

type Message = { topic: string } & Record<string, unknown>;
type Listener = (message: Message, done: () => void) => void;

/** The part of mqemitter's interface aedes 1.2 calls. */
export interface Emitter {
  on(topic: string, listener: Listener, done?: () => void): unknown;
  removeListener(topic: string, listener: Listener, done?: () => void): unknown;
  emit(message: Message, done?: (err?: Error) => void): void;
  close(done: () => void): void;
}

/** One emitter to aedes: telemetry on `local`, the rest on `shared` (Redis). */
export class RoutedEmitter implements Emitter {
  constructor(private readonly local: Emitter, private readonly shared: Emitter) {}

  on(topic: string, listener: Listener, done?: () => void): this {
    this.both(topic, (e, cb) => e.on(topic, listener, cb), done);
    return this;
  }

  removeListener(topic: string, listener: Listener, done?: () => void): this {
    this.both(topic, (e, cb) => e.removeListener(topic, listener, cb), done);
    return this;
  }

  emit(message: Message, done?: (err?: Error) => void): void {
    (isLocalTopic(message.topic) ? this.local : this.shared).emit(message, done);
  }

  close(done: () => void): void {
    let n = 2;
    const one = () => { if (--n === 0) done(); };
    this.local.close(one);
    this.shared.close(one);
  }

  /** Applies `op` to the emitter(s) a filter can receive from; `done` after all of them. */
  private both(filter: string, op: (e: Emitter, cb: () => void) => void, done?: () => void): void {
    const targets = hasWildcard(filter) ? [this.local, this.shared] : [isLocalTopic(filter) ? this.local : this.shared];
    let n = targets.length;
    for (const e of targets) op(e, () => { if (--n === 0) done?.(); });
  }
}

/** mqemitter-redis, with what its d.ts leaves out: its error events, and MQEmitter's own close (no QUIT). */
type SharedEmitter = Emitter & { state: import('node:events').EventEmitter; _close(done: () => void): void };

type Persistence = Record<string, unknown> & { setup(broker: unknown): Promise<void> };
type ClientRef = { id: string };
type Stored = { messageId?: number };

/**
 * The QoS 2 receive state of this node's clients, as aedes-persistence's in-memory store keeps it (aedes asks only
 * whether an id is there; session-bounds.ts stores each without its payload). Not a dependency of ours to import.
 */
function localIncoming(): Record<'incomingStorePacket' | 'incomingGetPacket' | 'incomingDelPacket' | 'cleanIncoming', (client: ClientRef, packet: Stored) => Promise<unknown>> {
  const byClient = new Map<string, Map<number, Stored>>();
  return {
    async incomingStorePacket(client, packet) {
      let ids = byClient.get(client.id);
      if (!ids) byClient.set(client.id, (ids = new Map()));
      ids.set(packet.messageId!, { ...packet });
    },
    async incomingGetPacket(client, packet) {
      const found = byClient.get(client.id)?.get(packet.messageId!);
      if (!found) throw new Error('no such packet');
      return found;
    },
    async incomingDelPacket(client, packet) {
      const ids = byClient.get(client.id);
      if (!ids?.delete(packet.messageId!)) throw new Error('no such packet');
      if (ids.size === 0) byClient.delete(client.id);
    },
    async cleanIncoming(client) {
      byClient.delete(client.id);
    },
  };
}

/** What aedes is given in cluster mode, and how to end it (after aedes closed). */
export interface ClusterBus {
  mq: Emitter;
  persistence: Persistence;
  close(): Promise<void>;
}

/** The URL without its password, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://…';
  }
}

/** Connects to Redis at `url` and builds aedes' emitter and persistence over it (see the note at the top). */
export async function createClusterBus(url: string, concurrency: number, log: Logger): Promise<ClusterBus> {
  const where = redactRedisUrl(url);
  const watch = outageLog(where, log);
  // maxRetriesPerRequest null: while Redis is down a command waits for it instead of failing after 20 reconnect
  // attempts, which aedes-persistence-redis and mqemitter-redis do not always catch (an unhandled rejection ends Node).
  // disconnectTimeout: disconnect() is used only when Redis is down, where the socket is gone already (ioredis' 2 s
  // wait for it to close would only hold the process).
  const options = { lazyConnect: true, maxRetriesPerRequest: null, disconnectTimeout: 100 };
  const conns = ['pub', 'sub', 'store'].map((role) => watch(new Redis(url, { ...options, connectionName: `citysense-${role}` }), role));
  let why: Error | undefined;
  conns.forEach((c) => c.once('error', (err: Error) => { why ??= err; }));
  try {
    await Promise.all(conns.map((c) => c.connect()));
  } catch (err) {
    conns.forEach((c) => c.disconnect());
    // Exit status 2 at start, naming the setting, as for any setting the app cannot use.
    throw new ConfigError('REDIS_URL', `cannot connect to Redis at ${where}: ${(why ?? (err as Error)).message}`);
  }
  const [pubConn, subConn, store] = conns;
  const shared = mqemitterRedis({ pubConn, subConn, concurrency, matchEmptyLevels: true }) as unknown as SharedEmitter;
  // Without a listener, the bus's `error` event (each failed command while Redis is down) would end the process.
  shared.state.on('error', (err: Error) => log.debug({ err: err.message }, 'Redis message bus error'));
  const closeShared = shared.close.bind(shared);
  // Its close() QUITs and waits for the reply, which never comes while Redis is down: end those connections at once.
  shared.close = (done) => {
    if (pubConn.status === 'ready' && subConn.status === 'ready') return closeShared(done);
    pubConn.disconnect();
    subConn.disconnect();
    shared._close(done);
  };
  const local = mqemitter({ concurrency, matchEmptyLevels: true }) as unknown as Emitter;

  const require = createRequire(import.meta.url);
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: { conn: Redis }) => Persistence;
  const persistence = new AsyncRedisPersistence({ conn: store });
  Object.assign(persistence, localIncoming());
  // aedes pipes the retained messages of a SUBSCRIBE (lib/handlers/subscribe.js); this persistence yields an async iterable.
  const retained = (persistence.createRetainedStreamCombi as (patterns: string[]) => AsyncIterable<unknown>).bind(persistence);
  persistence.createRetainedStreamCombi = (patterns: string[]) => Readable.from(retained(patterns));

  log.info({ redis: where }, 'MQTT broker shares sessions, subscriptions and retained messages through Redis (REDIS_URL); telemetry stays on the node that receives it');
  return {
    mq: new RoutedEmitter(local, shared),
    persistence,
    // The emitter's connections were ended by aedes' close (mq.close); the store's is ours.
    close: async () => {
      if (store.status === 'ready') await store.quit().catch(() => store.disconnect());
      else store.disconnect();
    },
  };
}

/**
 * Logs an outage once (warn, when the first of the bus's connections drops) and the return (info, when all are back);
 * ioredis reconnects and resubscribes by itself. While it is down, a command waits for it: a CONNECT is answered
 * once Redis is back, unless the device gives up first (its own connect timeout; mqtt.js: 30 s) and tries again.
 */
function outageLog(where: string, log: Logger): (conn: Redis, role: string) => Redis {
  const down = new Set<string>();
  return (conn, role) => {
    conn.on('error', (err: Error) => log.debug({ redis: where, role, err: err.message }, 'Redis connection error'));
    conn.on('reconnecting', () => {
      if (down.has(role)) return;
      down.add(role);
      if (down.size === 1) log.warn({ redis: where }, 'Redis (REDIS_URL) unreachable, reconnecting: telemetry goes on; new MQTT connections, subscriptions and status messages wait for it (a CONNECT is answered once it is back)');
    });
    conn.on('ready', () => {
      if (!down.delete(role) || down.size > 0) return;
      log.info({ redis: where }, 'Redis (REDIS_URL) reachable again: the MQTT broker shares sessions again');
    });
    return conn;
  };
}
