import { Counter, Gauge, type Registry } from 'prom-client';

export interface AlertMetricsSources {
  active(): Map<string, number>;
  pending(): number;
  rules(): number;
}

/** The alert engine's Prometheus metrics, registered on the registry passed in. */
export function createAlertMetrics(registry: Registry, src: AlertMetricsSources) {
  const transitions = new Counter({
    name: 'citysense_alert_transitions_total',
    help: 'Alert transitions recorded, by kind (fired, acknowledged, resolved, unsilenced) and severity',
    labelNames: ['kind', 'severity'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'citysense_alerts_active',
    help: 'Alerts not yet resolved, by severity',
    labelNames: ['severity'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [severity, n] of src.active()) this.set({ severity }, n);
    },
  });
  new Gauge({
    name: 'citysense_alert_pending',
    help: 'Rule conditions holding but not yet for their `for` duration',
    registers: [registry],
    collect() { this.set(src.pending()); },
  });
  new Gauge({
    name: 'citysense_alert_rules',
    help: 'Enabled alert rules',
    registers: [registry],
    collect() { this.set(src.rules()); },
  });
  const outOfOrder = new Counter({
    name: 'citysense_alert_readings_out_of_order_total',
    help: 'Readings older than the newest already evaluated for their device: seen, but causing no transition',
    registers: [registry],
  });
  const errors = new Counter({
    name: 'citysense_alert_errors_total',
    help: 'Transitions that could not be recorded (the store failed)',
    registers: [registry],
  });
  return { transitions, outOfOrder, errors };
}
export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
