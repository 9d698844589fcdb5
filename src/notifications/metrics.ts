import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface NotificationMetricsSources {
  depth(): { pending: number; oldestCreatedAt: number | null };
  now(): number;
}

/** The notification room's Prometheus metrics, registered on the registry passed in. */
export function createNotificationMetrics(registry: Registry, src: NotificationMetricsSources) {
  const deliveries = new Counter({
    name: 'citysense_notification_deliveries_total',
    help: 'Tries of notification deliveries, by contact point, kind (webhook, email) and outcome (delivered, retry, failed, gone)',
    labelNames: ['contact_point', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'citysense_notification_delivery_seconds',
    help: 'From the transition (the outbox row written) to the receiver accepting it, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  new Gauge({
    name: 'citysense_notification_outbox_depth',
    help: 'Deliveries waiting in the outbox (not yet delivered, not yet failed)',
    registers: [registry],
    collect() { this.set(src.depth().pending); },
  });
  new Gauge({
    name: 'citysense_notification_outbox_oldest_seconds',
    help: 'Age of the oldest delivery waiting in the outbox (0 when it is empty)',
    registers: [registry],
    collect() {
      const { oldestCreatedAt } = src.depth();
      this.set(oldestCreatedAt === null ? 0 : Math.max(0, (src.now() - oldestCreatedAt) / 1000));
    },
  });
  return { deliveries, latency };
}
export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
