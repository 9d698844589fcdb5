import type { DeviceAlerts } from '../lib/alert-board.js';
import type { DeviceStatus } from '../types.js';

/**
 * A device's presence: a coloured dot and the word. With active alerts it takes the worst one's colour and says so
 * (a device with a critical alert is not shown as a green "online").
 */
export function StatusPill({ status, alerts }: { status: DeviceStatus; alerts?: DeviceAlerts }) {
  if (alerts) {
    const what = `${alerts.count} ${alerts.severity === 'info' ? 'info' : alerts.severity} ${alerts.count === 1 ? 'alert' : 'alerts'}`;
    return (
      <span class={`status status-${status} status-alert status-alert-${alerts.severity}`} data-status={status} data-alert={alerts.severity} title={`${status}, ${what}${alerts.firing ? ` (${alerts.firing} not acknowledged)` : ''}`}>
        <span class="status-dot" />
        {status} · {what}
      </span>
    );
  }
  return (
    <span class={`status status-${status}`} data-status={status}>
      <span class="status-dot" />
      {status}
    </span>
  );
}
