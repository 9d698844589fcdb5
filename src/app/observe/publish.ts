import { Histogram, type Registry } from 'prom-client';
import type { PublishHandler } from '../../broker/index.js';

/**
 * The broker's publish handler (ingest) wrapped to time each QoS 1/2 publish from the broker's hook to its
 * acknowledgement being released (PUBACK or PUBREC follows at once): the spool's group commit, mostly.
 */
export function timedPublishHandler(handler: PublishHandler, registry: Registry): PublishHandler {
  const ack = new Histogram({
    name: 'citysense_mqtt_publish_ack_seconds',
    help: 'Time from a QoS 1/2 PUBLISH reaching the broker to its PUBACK/PUBREC being released (the reading durable in the spool, or dead-lettered)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    handle(msg, done) {
      if (msg.qos === 0) return handler.handle(msg, done);
      const start = performance.now();
      handler.handle(msg, (err, refused) => {
        if (!err) ack.observe((performance.now() - start) / 1000);
        done(err, refused);
      });
    },
    refuse: (msg, reason, detail) => handler.refuse(msg, reason, detail),
  };
}
