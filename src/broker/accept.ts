import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BrokerContext } from './context.js';
import { attachWs, listenTcp, listenTls, type Accept, type Listener } from './listeners.js';
import { keepRepeatedFilters } from './protocol.js';
import { PUBLISH, PacketSizeGuard } from './size-guard.js';
import { EMPTY } from './sink.js';
import type { Broker } from './types.js';

/** Where MQTT over WebSocket is served on the app's HTTP server (docs/contract.md section 1). */
export const MQTT_WS_PATH = '/mqtt';

/** The broker's doors: listeners, each new connection under its size guard, and the order of stopping. */
export function createDoors(ctx: BrokerContext, afterAedes?: () => Promise<void>): Pick<Broker, 'start' | 'attachWebSocket' | 'ready' | 'drain' | 'stop'> {
  const { options, log, metrics, identities, conns } = ctx;
  const connections = new Set<Duplex>();

  let accepting = false;
  let started = false;
  let tcp: Listener | undefined;
  let tls: Listener | undefined;
  let detachWs: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const accept: Accept = (conn, transport, remote, req) => {
    const { aedes } = ctx;
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
      ctx.refuse(
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
    await new Promise<void>((resolve) => ctx.aedes.close(() => resolve()));
    await afterAedes?.();
    ctx.bounds.close();
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
      detachWs = attachWs(server, MQTT_WS_PATH, options.maxPacketBytes, () => accepting && !ctx.aedes.closed, accept, (why, remote) => log.info({ remote }, `MQTT over WebSocket refused: ${why}`));
    },
    ready: () => started && accepting && !ctx.aedes.closed,
    drain: stopAccepting,
    stop: () => (closing ??= doClose()),
  };
}
