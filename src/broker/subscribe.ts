import type { AedesOptions } from 'aedes';
import type { BrokerContext } from './context.js';
import type { PacketSizeGuard } from './size-guard.js';
import { SINK_TOPIC } from './sink.js';

/** aedes' authorizeSubscribe and authorizeForward hooks: the topic ACL, and the bound on a slow live subscriber. */
export function subscribeHooks(ctx: BrokerContext): Required<Pick<AedesOptions, 'authorizeSubscribe' | 'authorizeForward'>> {
  const { acl, identities, metrics, log } = ctx;
  return {
    authorizeSubscribe(client, sub, callback) {
      if (acl.allowSubscribe(identities.get(client), sub.topic)) return callback(null, sub);
      metrics.subscriptionsRefused.inc();
      log.debug({ clientId: client.id, topic: sub.topic }, 'subscription refused');
      callback(null, null); // negated: SUBACK 128 for this filter, the others stand
    },
    authorizeForward(client, packet) {
      if (packet.topic === SINK_TOPIC) return null;
      return ctx.bounds.forwardable(client, (client.conn as PacketSizeGuard).buffered) ? packet : null;
    },
  };
}
