import { Histogram, type Registry } from 'prom-client';
import type { Alert, AlertEngine, PushKind } from '../../alerts/index.js';
import type { Logger, Reading } from '../../core/index.js';

const MESSAGES: Record<PushKind, string> = { fired: 'alert fired', acknowledged: 'alert acknowledged', resolved: 'alert resolved' };

/** Who made a transition: `system` for the engine (readings, timers, the sweep), else the operator's token name. */
function actorOf(a: Alert, kind: PushKind): string {
  if (kind === 'acknowledged') return a.acknowledgedBy ?? 'system';
  if (kind === 'resolved') return a.resolvedBy ?? 'system';
  return 'system';
}

/**
 * Logs every alert transition at info (the engine's transition listener: its door), and times the transitions a
 * batch of accepted readings causes. Returns what the composition root calls instead of `alerts.evaluate`.
 */
export function observeAlerts(alerts: Pick<AlertEngine, 'evaluate' | 'onTransition'>, log: Logger, registry: Registry): (batch: readonly Reading[]) => void {
  const latency = new Histogram({
    name: 'citysense_alert_transition_seconds',
    help: 'Time from a batch of readings being accepted (durable in the spool) to each alert transition its evaluation made',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  /** performance.now() when the batch being evaluated was accepted; undefined outside evaluate (timers, the sweep, operators). */
  let acceptedAt: number | undefined;

  alerts.onTransition((a, kind) => {
    if (acceptedAt !== undefined) latency.observe((performance.now() - acceptedAt) / 1000);
    log.info({
      alertId: a.id, rule: a.ruleName, ruleId: a.ruleId, severity: a.severity, deviceId: a.deviceId, district: a.district,
      metric: a.metric ?? undefined, value: kind === 'fired' ? a.value : a.lastValue, by: actorOf(a, kind),
      ...(a.silenced ? { silenced: true } : {}),
    }, MESSAGES[kind]);
  });

  return (batch) => {
    acceptedAt = performance.now();
    try {
      alerts.evaluate(batch);
    } finally {
      acceptedAt = undefined;
    }
  };
}
