import type { PublishPacket } from 'aedes';
import type { BrokerContext } from './context.js';
import { Presence } from './presence.js';

/** Presence (a device is online while it has a live connection), announced on the device's status topic. */
export function createPresence(ctx: BrokerContext): Presence {
  const { deps, log } = ctx;
  return new Presence({
    changed(device, status, clean) {
      publishStatus(ctx, device.statusTopic, status);
      try {
        deps.onPresence?.({ deviceId: device.deviceId, status, at: Date.now(), ...(status === 'offline' ? { clean } : {}) });
      } catch (err) {
        log.error({ err, deviceId: device.deviceId }, 'presence listener failed');
      }
    },
    stillOnline(device) {
      publishStatus(ctx, device.statusTopic, 'online');
    },
  });
}

/** Reports a device's own `online` / `offline` on its status topic (the ACL let no other payload through). */
export function announced(ctx: BrokerContext, deviceId: string, payload: Buffer | string): void {
  try { ctx.deps.onStatus?.({ deviceId, status: String(payload) === 'online' ? 'online' : 'offline', at: Date.now() }); }
  catch (err) { ctx.log.error({ err, deviceId }, 'status listener failed'); }
}

/** Retained `online`/`offline` on the device's status topic, QoS 1 so persistent sessions queue it. */
function publishStatus(ctx: BrokerContext, topic: string, status: 'online' | 'offline'): void {
  const { aedes, log } = ctx;
  if (aedes.closed) return;
  const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(status), qos: 1, retain: true, dup: false };
  aedes.publish(packet, (err) => {
    if (err) log.warn({ err, topic }, 'status publish failed');
  });
}
