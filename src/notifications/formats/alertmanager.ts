import type { WebhookFormatter } from './types.js';

const iso = (t: number | null) => (t === null ? '0001-01-01T00:00:00Z' : new Date(t).toISOString());

/**
 * Alertmanager's webhook body, version 4 (prometheus.io/docs/alerting/latest/configuration/#webhook_config), so
 * receivers written for Alertmanager (PagerDuty bridges, chat relays) take citysense alerts unchanged.
 */
export const alertmanagerFormat: WebhookFormatter = ({ alert, summary, publicUrl, receiver }) => {
  const status = alert.state === 'resolved' ? 'resolved' : 'firing';
  const labels: Record<string, string> = {
    alertname: alert.ruleName, rule_id: alert.ruleId, severity: alert.severity, device: alert.deviceId, domain: alert.domain, type: alert.type,
    ...(alert.district ? { district: alert.district } : {}), ...(alert.metric ? { metric: alert.metric } : {}),
  };
  const annotations = { summary: summary.subject, description: alert.message, value: String(alert.lastValue ?? alert.value ?? '') };
  return {
    version: '4',
    groupKey: `{}:{alert_id="${alert.id}"}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels: { alert_id: String(alert.id) },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: publicUrl,
    alerts: [{
      status, labels, annotations,
      startsAt: iso(alert.firedAt), endsAt: iso(alert.resolvedAt),
      generatorURL: summary.url, fingerprint: `citysense-${alert.id}`,
    }],
  };
};
