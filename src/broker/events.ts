import type { EventEmitter } from 'node:events';
import type { BrokerContext } from './context.js';
import { connectResult } from './metrics.js';
import { EMPTY } from './sink.js';

/** Logs and counts what aedes reports (a listener at the door: the hooks neither log nor count these). */
export function observeAedes(ctx: BrokerContext): void {
  const { aedes, metrics, keepaliveRefused, identities, conns, log } = ctx;
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
    ctx.refuse(
      { deviceId: identity?.kind === 'device' ? identity.deviceId : null, topic: '', payload: EMPTY, receivedAt: Date.now() },
      'not_authorized', `${err.message} (a protocol violation): connection closed`,
    );
  });
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'MQTT connection error'));
  aedes.on('keepaliveTimeout', (client) => log.debug({ clientId: client.id }, 'MQTT keep-alive timeout'));
  (aedes as EventEmitter).on('error', (err: unknown) => log.error({ err }, 'aedes error'));
}
