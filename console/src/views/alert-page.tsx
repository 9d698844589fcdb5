// One alert (where every notification's link lands): what it is, its state, and every delivery of it.
import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, humanize } from '../lib/format.js';
import { notifyApi, type Delivery } from '../lib/notify-api.js';
import { deviceHref } from '../lib/router.js';
import type { Alert } from '../types.js';
import { AlertActions } from './alert-actions.js';

export function AlertPage({ id }: { id: number }) {
  const [alert, setAlert] = useState<Alert | undefined>();
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const load = () =>
      Promise.all([notifyApi.alert(id), notifyApi.deliveries(id), notifyApi.contactPoints()]).then(
        ([a, d, cps]) => { setAlert(a); setDeliveries(d); setNames(new Map(cps.map((c) => [c.id, c.name]))); setError(undefined); },
        (e) => setError(e instanceof Error ? e.message : String(e)),
      );
    void load();
    const t = window.setInterval(load, 5000);
    return () => window.clearInterval(t);
  }, [id]);

  if (error) return <div class="page"><div class="form-error pad">{error}</div></div>;
  if (!alert) return <div class="page"><div class="muted pad">Loading alert #{id}…</div></div>;
  return (
    <div class="page alert-page" data-alert-id={alert.id}>
      <div class="page-head">
        <h1><span class={`sev sev-${alert.severity}`}>{alert.severity}</span> {alert.ruleName}</h1>
        <span class={`state state-${alert.state === 'acknowledged' ? 'ack' : alert.state}`} data-testid="alert-state">{alert.state}</span>
        <AlertActions alert={alert} />
      </div>
      <section class="panel pad">
        <div>{alert.message}</div>
        <div class="muted small">
          <a href={deviceHref(alert.deviceId)} class="mono">{alert.deviceId}</a> · {humanize(alert.type)} · {alert.district ?? 'no district'} · fired {formatDateTime(alert.firedAt)}
          {alert.acknowledgedBy && <> · acknowledged by {alert.acknowledgedBy}</>}
        </div>
      </section>
      <section class="panel">
        <h2 class="panel-title">Notifications</h2>
        {deliveries.length === 0 ? <div class="muted pad">Nobody was notified of this alert.</div> : (
          <table class="table deliveries-table">
            <thead><tr><th>Contact point</th><th>Transition</th><th>Try</th><th>Outcome</th><th>When</th></tr></thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={`${d.id}-${d.attempt}`} data-delivery-id={d.id} data-status={d.status}>
                  <td>{names.get(d.contactPointId) ?? <span class="mono">{d.contactPointId}</span>}<div class="muted small">{d.kind}</div></td>
                  <td>{d.transition}</td>
                  <td class="num">{d.attempt}</td>
                  <td>{d.status}{d.httpStatus !== undefined && ` (HTTP ${d.httpStatus})`}{d.error && <div class="muted small">{d.error}</div>}
                    {d.nextAt && <div class="muted small">next try {formatDateTime(d.nextAt)}</div>}</td>
                  <td>{formatDateTime(d.deliveredAt ?? d.at ?? d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
