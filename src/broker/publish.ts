import type { AedesOptions, Client, PublishPacket } from 'aedes';
import type { InboundMessage } from '../core/index.js';
import type { BrokerContext } from './context.js';
import { illFormed } from './protocol.js';
import { EMPTY, drop } from './sink.js';
import { announced } from './status.js';

export type AuthorizePublish = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => void;

/** aedes' authorizePublish hook: a client's publishes go through the QoS 2 de-duplication first. */
export function authorizePublishHook(ctx: BrokerContext, authorizePublish: AuthorizePublish): NonNullable<AedesOptions['authorizePublish']> {
  return (client, packet, callback) => {
    if (client) ctx.qos2.receive(client, packet, callback);
    else authorizePublish(client, packet, callback); // a will published after its connection went
  };
}

/** Telemetry to the handler (ingest) before the PUBACK, a status to onStatus, anything else refused and dropped. */
export function createAuthorizePublish(ctx: BrokerContext): AuthorizePublish {
  const { acl, identities, log, deps: { handler }, refuse } = ctx;
  return function authorizePublish(client, packet, callback) {
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
      if (client && !client.closed) announced(ctx, verdict.deviceId, packet.payload);
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
  };
}
