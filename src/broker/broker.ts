import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { AuthFailure, InboundMessage, RefusalReason, RefusedMessage } from '../core/index.js';
import { createAcl, type Identity } from './acl.js';
import { CONNACK, MAX_CLIENT_ID, createAuthenticator, type ConnectAttempt, type RefusalCode } from './auth.js';
import { ClientIdOwners, holderOf, MAX_CLIENT_IDS_PER_DEVICE } from './client-ids.js';
import type { Broker, BrokerDeps } from './index.js';
import { attachWs, listenTcp, listenTls, type Accept, type Listener } from './listeners.js';
import { watchIdle } from './idle.js';
import { connectResult, createBrokerMetrics } from './metrics.js';
import { Presence } from './presence.js';
import { InboundQos2 } from './qos2.js';
import { connectViolation, illFormed, keepRepeatedFilters } from './protocol.js';
import { DEFAULT_SESSION_LIMITS, SessionBounds, describeDrop, type DropReason } from './session-bounds.js';
import { PUBLISH, PacketSizeGuard } from './size-guard.js';
import { EMPTY, SINK_TOPIC, drop } from './sink.js';

/** Where MQTT over WebSocket is served on the app's HTTP server (docs/contract.md section 1). */
export const MQTT_WS_PATH = '/mqtt';

/** The one call made to aedes' persistence (its d.ts leaves it untyped): the lookup its own QoS 2 handling makes. */
interface IncomingStore {
  incomingGetPacket(client: Client, packet: { messageId: number }): Promise<unknown>;
}

interface PendingConnect {
  emptyClientId: boolean;
  will?: ConnectAttempt['will'];
  keepalive: number;
}

/** Creates the broker (aedes with our hooks); call start() to listen. */
export async function createBroker(deps: BrokerDeps): Promise<Broker> {
  const { registry, catalog, handler, options } = deps;
  const log = deps.log.child({ component: 'broker' });
  const metrics = createBrokerMetrics(deps.metrics);
  const acl = createAcl(catalog, registry);
  const auth = createAuthenticator({ registry, secrets: deps.secrets, acl, allowAnonymous: options.allowAnonymous, log });
  const identities = new WeakMap<Client, Identity>();
  const pending = new WeakMap<Client, PendingConnect>();
  /** Each client's address, and the transport under its size guard (what a keep-alive 0 connection's idle watch hears). */
  const conns = new WeakMap<Client, { remote?: string; raw: Duplex }>();
  const keepaliveRefused = new WeakSet<Client>();
  const owners = new ClientIdOwners();
  const limits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits };
  const qos2 = new InboundQos2(
    (client, messageId) => (aedes as unknown as { persistence: IncomingStore }).persistence.incomingGetPacket(client, { messageId }).then(() => true, () => false),
    authorizePublish,
    drop,
    (client, messageId, inProgress) => {
      if (!bounds.unreleasedFull(client.id, inProgress, messageId)) return undefined;
      dropped(client.id, 'unreleased_full', 1, true);
      return new Error(`${limits.maxUnreleased} QoS 2 messages of this client id await PUBREL`);
    },
  );

  const connections = new Set<Duplex>();

  let accepting = false;
  let started = false;
  let tcp: Listener | undefined;
  let tls: Listener | undefined;
  let detachWs: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const aedes: Aedes = await Aedes.createBroker({
    // Measured: with the default 100, mqemitter's queue (Array.shift) is the bottleneck under a subscriber that reads everything.
    concurrency: 100_000,
    // Per connection; session-bounds.ts holds the same bound per client id across reconnects.
    maxInflightInbound: limits.maxUnreleased,
    connectTimeout: options.connectTimeoutMs,
    // Off: aedes refuses keep-alive 0 (allowed, MQTT 3.1.1 3.1.2.10) and answers CONNACK 6 (not 3.1.1); see authenticate().
    keepaliveLimit: 0,
    // aedes checks this for MQTT 3.1 only; authenticate() enforces it for every version.
    maxClientsIdLength: MAX_CLIENT_ID,
    preConnect(client, packet, callback) {
      const bad = connectViolation(packet);
      if (bad) {
        log.info({ remote: conns.get(client)?.remote, field: bad }, `MQTT connect refused: the ${bad} is not valid UTF-8 or holds U+0000 (MQTT-1.5.3): connection closed`);
        return callback(new Error(`${bad} is not valid UTF-8 or holds U+0000`), false);
      }
      pending.set(client, { emptyClientId: !packet.clientId, will: packet.will ?? undefined, keepalive: packet.keepalive ?? 0 });
      callback(null, true);
    },
    authenticate(client, username, password, callback) {
      const p = pending.get(client);
      pending.delete(client);
      const attempt: ConnectAttempt = {
        clientId: client.id, emptyClientId: p?.emptyClientId ?? false, clean: client.clean, username, password, will: p?.will,
        remote: conns.get(client)?.remote,
      };
      const refuseConnect = (code: RefusalCode, why: string) => callback(Object.assign(new Error(why), { returnCode: code }) as AuthenticateError, null);
      const keepalive = p?.keepalive ?? 0;
      if (keepalive > options.keepaliveLimitS) {
        keepaliveRefused.add(client); // CONNACK 2 as Mosquitto answers it: 3.1.1 has no code for this (never one outside 0-5)
        log.info({ clientId: client.id, username, keepalive, keepaliveLimitS: options.keepaliveLimitS, code: CONNACK.identifierRejected }, 'MQTT connect refused: keep-alive over MQTT_KEEPALIVE_LIMIT');
        return refuseConnect(CONNACK.identifierRejected, `keep-alive ${keepalive} s is over the limit of ${options.keepaliveLimitS} s`);
      }
      auth.authenticate(attempt).then(
        (r) => {
          if (!r.ok) {
            if (r.failure) reportAuthFailure({ transport: 'mqtt', reason: r.failure, address: attempt.remote, lockout: r.lockout ?? false, who: username });
            // A throttled flood is one line per attempt at debug: the throttle itself is what an operator sees.
            if (r.throttled) log.debug({ clientId: client.id, username, remote: attempt.remote, code: r.code }, 'MQTT connect refused: too many failed logins from this address');
            else log.info({ clientId: client.id, username, code: r.code, why: r.why }, 'MQTT connect refused');
            return refuseConnect(r.code, r.why);
          }
          // Checked here, before aedes registers the client: registering is what takes a live connection over.
          const holder = holderOf(r.identity);
          const heldBy = owners.heldByOther(client.id, holder);
          if (heldBy !== undefined) {
            log.info({ clientId: client.id, identity: holder, heldBy, code: CONNACK.identifierRejected }, 'MQTT connect refused: client id held by another identity');
            return refuseConnect(CONNACK.identifierRejected, 'client id held by another identity');
          }
          if (owners.tooMany(client.id, holder)) {
            log.info({ clientId: client.id, identity: holder, limit: MAX_CLIENT_IDS_PER_DEVICE, code: CONNACK.identifierRejected }, 'MQTT connect refused: the device holds too many client ids (live connections and persistent sessions)');
            return refuseConnect(CONNACK.identifierRejected, 'too many client ids for this device');
          }
          identities.set(client, r.identity);
          if (client.clean) qos2.cleanSession(client.id);
          track(client, r.identity);
          if (keepalive === 0) watchIdle(conns.get(client)?.raw, options.idleTimeoutMs, () => {
            log.debug({ clientId: client.id, idleTimeoutMs: options.idleTimeoutMs }, 'MQTT connection with keep-alive 0 idle past MQTT_IDLE_TIMEOUT: closed');
            client.close();
          });
          callback(null, true);
        },
        (err: unknown) => {
          log.error({ err, clientId: client.id }, 'MQTT authentication failed');
          refuseConnect(CONNACK.serverUnavailable, 'server unavailable');
        },
      );
    },
    authorizePublish(client, packet, callback) {
      if (client) qos2.receive(client, packet, callback);
      else authorizePublish(client, packet, callback); // a will published after its connection went
    },
    authorizeSubscribe(client, sub, callback) {
      if (acl.allowSubscribe(identities.get(client), sub.topic)) return callback(null, sub);
      metrics.subscriptionsRefused.inc();
      log.debug({ clientId: client.id, topic: sub.topic }, 'subscription refused');
      callback(null, null); // negated: SUBACK 128 for this filter, the others stand
    },
    authorizeForward(client, packet) {
      if (packet.topic === SINK_TOPIC) return null;
      return bounds.forwardable(client, (client.conn as PacketSizeGuard).buffered) ? packet : null;
    },
  });
  const bounds = new SessionBounds(
    (aedes as unknown as { persistence: ConstructorParameters<typeof SessionBounds>[0] }).persistence, limits, dropped,
    (clientId) => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[clientId],
  );

  /** Counts messages dropped by a session bound; the first of an episode is logged, naming the client id. */
  function dropped(clientId: string, reason: DropReason, count: number, first: boolean): void {
    metrics.dropped.inc({ reason }, count);
    if (first) log.info({ clientId, reason }, `MQTT client id ${clientId}: ${describeDrop(reason, count, limits)}`);
  }

  const presence = new Presence({
    changed(device, status, clean) {
      publishStatus(device.statusTopic, status);
      try {
        deps.onPresence?.({ deviceId: device.deviceId, status, at: Date.now(), ...(status === 'offline' ? { clean } : {}) });
      } catch (err) {
        log.error({ err, deviceId: device.deviceId }, 'presence listener failed');
      }
    },
    stillOnline(device) {
      publishStatus(device.statusTopic, 'online');
    },
  });

  /** Reports a device's own `online` / `offline` on its status topic (the ACL let no other payload through). */
  function announced(deviceId: string, payload: Buffer | string): void {
    try { deps.onStatus?.({ deviceId, status: String(payload) === 'online' ? 'online' : 'offline', at: Date.now() }); }
    catch (err) { log.error({ err, deviceId }, 'status listener failed'); }
  }

  /** Retained `online`/`offline` on the device's status topic, QoS 1 so persistent sessions queue it. */
  function publishStatus(topic: string, status: 'online' | 'offline'): void {
    if (aedes.closed) return;
    const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(status), qos: 1, retain: true, dup: false };
    aedes.publish(packet, (err) => {
      if (err) log.warn({ err, topic }, 'status publish failed');
    });
  }

  /** Counts a connection, and holds its client id, from its authentication until its stream closes. */
  function track(client: Client, identity: Identity): void {
    const conn = client.conn;
    if (client.closed || conn.destroyed) return;
    metrics.connections.inc();
    const release = owners.claim(client.id, holderOf(identity), client.clean);
    const live = { close: () => client.close() };
    if (identity.kind === 'device') presence.add(identity, live);
    conn.once('close', () => {
      release();
      metrics.connections.dec();
      // aedes sets `_disconnected` on a valid DISCONNECT only, the flag it skips the will by (lib/client.js).
      if (identity.kind === 'device') presence.remove(identity, live, (client as Client & { _disconnected?: boolean })._disconnected === true);
    });
  }

  const reportAuthFailure = (failure: AuthFailure) => {
    try { deps.onAuthFailure?.(failure); } catch (err) { log.error({ err }, 'authentication failure listener failed'); }
  };

  /** Reports a refused publish; a failing handler is logged, never thrown into aedes. */
  function refuse(msg: RefusedMessage, reason: RefusalReason, detail: string): void {
    try {
      handler.refuse(msg, reason, detail);
    } catch (err) {
      log.error({ err }, 'refusal handler failed');
    }
  }

  function authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    const identity = client ? identities.get(client) : undefined;
    const receivedAt = Date.now();
    const verdict = client && !identity
      ? { kind: 'refused' as const, reason: 'not_authorized' as const, detail: 'connection has no identity' }
      : acl.classifyPublish(identity, packet.topic, packet.payload);

    if (verdict.kind === 'telemetry') {
      const msg: InboundMessage = {
        deviceId: verdict.deviceId, domain: verdict.domain, type: verdict.type, topic: packet.topic,
        payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
        qos: packet.qos, receivedAt,
      };
      let answered = false;
      const done = (err?: Error, refused?: boolean) => {
        if (answered) return;
        answered = true;
        // Refused by ingest (dead-lettered): like an ACL refusal, it reaches no subscriber and no retained store.
        if (refused) drop(packet);
        // The handler reports why (a full spool once, a failed commit as an error); per publish this is detail.
        if (err) log.debug({ why: err.message, deviceId: msg.deviceId, clientId: client?.id }, 'publish not accepted: connection closed without acknowledgement');
        callback(err ?? null);
      };
      try {
        handler.handle(msg, done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    if (verdict.kind === 'status') {
      // The device's own word, not a will: aedes publishes a will (a lost connection) only once the client is closed.
      if (client && !client.closed) announced(verdict.deviceId, packet.payload);
      return callback(null);
    }

    const deviceId = identity?.kind === 'device' ? identity.deviceId : null;
    // A topic that is not UTF-8 or holds U+0000 (MQTT-1.5.3-1/-2, protocol.ts) closes the connection. No device
    // topic holds either, so only a refused topic is looked at (not every publish). Counted and dead-lettered like
    // the wildcard topics below.
    if (client && illFormed(packet.topic)) {
      const why = `topic ${packet.topic.includes('\u0000') ? 'holds U+0000' : 'is not valid UTF-8'} (a protocol violation)`;
      refuse({ deviceId, topic: packet.topic, payload: EMPTY, receivedAt }, 'not_authorized', `${why}: connection closed`);
      callback(new Error(why));
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    log.debug({ clientId: client?.id, deviceId, topic: packet.topic, reason: verdict.reason }, 'publish refused');
    refuse({ deviceId, topic: packet.topic, payload, receivedAt }, verdict.reason, verdict.detail);
    drop(packet);
    callback(null);
  }

  aedes.on('connackSent', (packet, client) => {
    metrics.connects.inc({ result: keepaliveRefused.has(client) ? 'keepalive_rejected' : connectResult(packet.returnCode) });
    if (packet.returnCode !== 0) return;
    const identity = identities.get(client);
    log.debug({ deviceId: identity?.kind === 'device' ? identity.deviceId : undefined, clientId: client.id, remote: conns.get(client)?.remote }, 'MQTT client connected');
  });
  aedes.on('clientError', (client, err) => {
    log.debug({ clientId: client.id, err: err.message }, 'MQTT client error');
    // A PUBLISH topic that is empty or holds + or # is a protocol violation (MQTT-3.3.2-1, -2): aedes closes the
    // connection before any hook sees the packet, so its topic and payload are unknown here. Still a refused
    // publish like any other outside the device's topics: counted and dead-lettered, naming the device.
    if (!/not allowed in PUBLISH$/.test(err.message)) return;
    const identity = identities.get(client);
    refuse(
      { deviceId: identity?.kind === 'device' ? identity.deviceId : null, topic: '', payload: EMPTY, receivedAt: Date.now() },
      'not_authorized', `${err.message} (a protocol violation): connection closed`,
    );
  });
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'MQTT connection error'));
  aedes.on('keepaliveTimeout', (client) => log.debug({ clientId: client.id }, 'MQTT keep-alive timeout'));
  (aedes as EventEmitter).on('error', (err: unknown) => log.error({ err }, 'aedes error'));

  const accept: Accept = (conn, transport, remote, req) => {
    if (aedes.closed) {
      conn.destroy();
      return;
    }
    const guard = new PacketSizeGuard(conn, options.maxPacketBytes, ({ announced, type, topic }) => {
      metrics.tooLarge.inc();
      const identity = identities.get(client);
      const deviceId = identity?.kind === 'device' ? identity.deviceId : null;
      log.warn(
        { transport, remote, clientId: client.id ?? undefined, deviceId: deviceId ?? undefined, type, topic: topic || undefined, announced, limit: options.maxPacketBytes },
        'MQTT packet too large: connection closed',
      );
      // A PUBLISH over the limit is a refused publish like one over 64 KiB (docs/contract.md section 3: too_large), though
      // its body is never read. Only after CONNECT was accepted: before that the broker would not take any publish.
      if (type !== PUBLISH || !identity) return;
      refuse(
        { deviceId, topic, payload: EMPTY, receivedAt: Date.now() },
        'too_large', `PUBLISH of ${announced} bytes announced, more than the ${options.maxPacketBytes}-byte packet limit: connection closed, payload not read`,
      );
    });
    connections.add(guard);
    guard.once('close', () => connections.delete(guard));
    const client = aedes.handle(guard, req);
    conns.set(client, { remote, raw: conn });
    keepRepeatedFilters(client);
  };

  async function stopAccepting(): Promise<void> {
    accepting = false;
    // close() stops listening now; its promise settles when the last connection is gone (awaited in close()).
    void tcp?.close();
    void tls?.close();
  }

  async function doClose(): Promise<void> {
    await stopAccepting();
    detachWs?.();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    bounds.close();
    // aedes closes registered clients only; connections still before or inside CONNECT are ours to end.
    for (const c of connections) c.destroy();
    tcp?.destroyConnections();
    tls?.destroyConnections();
    await Promise.all([tcp?.close(), tls?.close()]);
    log.info('MQTT broker closed');
  }

  return {
    async start() {
      if (started) throw new Error('broker already started');
      started = true;
      accepting = true;
      tcp = await listenTcp(options.host, options.mqttPort, accept);
      if (options.mqtts) {
        try {
          tls = await listenTls(options.host, options.mqtts.port, options.mqtts, accept, (err) => log.debug({ err: err.message }, 'TLS handshake failed'));
        } catch (err) {
          await tcp.close();
          throw err;
        }
      }
      if (options.allowAnonymous) log.warn('MQTT_ALLOW_ANONYMOUS is on: devices may connect without credentials (development only)');
      log.info({ mqttPort: tcp.port, mqttsPort: tls?.port, maxPacketBytes: options.maxPacketBytes }, 'MQTT broker listening');
      return { mqttPort: tcp.port, mqttsPort: tls?.port };
    },
    attachWebSocket(server: HttpServer) {
      detachWs?.();
      detachWs = attachWs(server, MQTT_WS_PATH, options.maxPacketBytes, () => accepting && !aedes.closed, accept, (why, remote) => log.info({ remote }, `MQTT over WebSocket refused: ${why}`));
    },
    disconnect: (deviceId) => presence.disconnect(deviceId),
    connectedDevices: () => presence.devices(),
    isOnline: (deviceId) => presence.isOnline(deviceId),
    ready: () => started && accepting && !aedes.closed,
    drain: stopAccepting,
    stop: () => (closing ??= doClose()),
  };
}
