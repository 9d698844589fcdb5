import { Counter, Gauge, type Registry } from 'prom-client';

/** The broker's metrics, registered on the registry passed in. */
export interface BrokerMetrics {
  connections: Gauge;
  connects: Counter<'result'>;
  tooLarge: Counter;
  subscriptionsRefused: Counter;
  dropped: Counter<'reason'>;
}

// CONNACK return code → `result` label of citysense_mqtt_connects_total.
const RESULTS: Record<number, string> = {
  0: 'accepted',
  1: 'bad_protocol',
  2: 'identifier_rejected',
  3: 'server_unavailable',
  4: 'bad_credentials',
  5: 'not_authorized',
  // keepalive_rejected: a keep-alive over MQTT_KEEPALIVE_LIMIT, answered with 2 (the broker labels it itself)
};

/** The `result` label for a CONNACK return code. */
export function connectResult(returnCode: number | undefined): string {
  return RESULTS[returnCode ?? 0] ?? 'other';
}

/** Creates and registers the broker's metrics. */
export function createBrokerMetrics(registry: Registry): BrokerMetrics {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'citysense_mqtt_connections', help: 'Open authenticated MQTT connections (TCP, TLS and WebSocket)', registers }),
    connects: new Counter({ name: 'citysense_mqtt_connects_total', help: 'MQTT CONNECT attempts answered, by result', labelNames: ['result'], registers }),
    dropped: new Counter({ name: 'citysense_mqtt_messages_dropped_total', help: 'Messages dropped by a session bound: queue_full (for a subscriber), unreleased_full and unreleased_expired (QoS 2 awaiting PUBREL)', labelNames: ['reason'], registers }),
    tooLarge: new Counter({ name: 'citysense_mqtt_packets_too_large_total', help: 'Connections closed because a packet header announced more than the maximum packet size', registers }),
    subscriptionsRefused: new Counter({ name: 'citysense_mqtt_subscriptions_refused_total', help: 'SUBSCRIBE topic filters refused by the topic ACL (granted 128)', registers }),
  };
}
