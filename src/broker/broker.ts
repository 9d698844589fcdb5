import { Aedes, type Client } from 'aedes';
import { createDoors } from './accept.js';
import { MAX_CLIENT_ID } from './auth.js';
import { createClusterBus } from './cluster.js';
import { connectHooks } from './connect.js';
import { createContext } from './context.js';
import { observeAedes } from './events.js';
import { authorizePublishHook, createAuthorizePublish } from './publish.js';
import { InboundQos2 } from './qos2.js';
import { SessionBounds } from './session-bounds.js';
import { InflightWindows } from './inflight-window.js';
import { drop } from './sink.js';
import { createPresence } from './status.js';
import { subscribeHooks } from './subscribe.js';
import type { Broker, BrokerDeps } from './types.js';

export { MQTT_WS_PATH } from './accept.js';

/** The one call made to aedes' persistence (its d.ts leaves it untyped): the lookup its own QoS 2 handling makes. */
interface IncomingStore {
  incomingGetPacket(client: Client, packet: { messageId: number }): Promise<unknown>;
}

/** Creates the broker (aedes with our hooks); call start() to listen. */
export async function createBroker(deps: BrokerDeps): Promise<Broker> {
  const ctx = createContext(deps);
  const { options, limits } = ctx;
  const authorizePublish = createAuthorizePublish(ctx);
  ctx.qos2 = new InboundQos2(
    (client, messageId) => (ctx.aedes as unknown as { persistence: IncomingStore }).persistence.incomingGetPacket(client, { messageId }).then(() => true, () => false),
    authorizePublish,
    drop,
    (client, messageId, inProgress) => {
      if (!ctx.bounds.unreleasedFull(client.id, inProgress, messageId)) return undefined;
      ctx.dropped(client.id, 'unreleased_full', 1, true);
      return new Error(`${limits.maxUnreleased} QoS 2 messages of this client id await PUBREL`);
    },
  );

  // Measured: with the default 100, mqemitter's queue (Array.shift) is the bottleneck under a subscriber that reads everything.
  const concurrency = 100_000;
  // REDIS_URL: sessions, subscriptions, retained messages and takeover shared by the nodes; telemetry stays local (cluster.ts).
  const bus = options.redisUrl ? await createClusterBus(options.redisUrl, concurrency, ctx.log) : undefined;
  const aedes: Aedes = await Aedes.createBroker({
    concurrency,
    ...(bus && { mq: bus.mq, persistence: bus.persistence }),
    // Per connection; session-bounds.ts holds the same bound per client id across reconnects.
    maxInflightInbound: limits.maxUnreleased,
    connectTimeout: options.connectTimeoutMs,
    // Off: aedes refuses keep-alive 0 (allowed, MQTT 3.1.1 3.1.2.10) and answers CONNACK 6 (not 3.1.1); see connect.ts.
    keepaliveLimit: 0,
    // aedes checks this for MQTT 3.1 only; authenticate() enforces it for every version.
    maxClientsIdLength: MAX_CLIENT_ID,
    ...connectHooks(ctx),
    authorizePublish: authorizePublishHook(ctx, authorizePublish),
    ...subscribeHooks(ctx),
  }).catch(async (err: unknown) => {
    await bus?.close();
    throw options.redisUrl ? new Error(`REDIS_URL: the MQTT broker could not load its shared state from Redis: ${(err as Error).message}`, { cause: err }) : err;
  });
  ctx.aedes = aedes;
  ctx.bounds = new SessionBounds(
    (aedes as unknown as { persistence: ConstructorParameters<typeof SessionBounds>[0] }).persistence, limits, ctx.dropped,
    (clientId) => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[clientId],
  );
  ctx.windows = new InflightWindows(aedes, limits, ctx.dropped, (clientId) => ctx.bounds.queueFull(clientId));
  ctx.presence = createPresence(ctx);
  observeAedes(ctx);
  const presence = ctx.presence;

  return {
    ...createDoors(ctx, bus?.close),
    disconnect: (deviceId) => presence.disconnect(deviceId),
    connectedDevices: () => presence.devices(),
    isOnline: (deviceId) => presence.isOnline(deviceId),
  };
}
