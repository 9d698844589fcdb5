// One device: identity and presence, latest values, a history chart per metric (range and aggregation pickers,
// live while the range ends now), and its alerts.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { worstAlertByDevice } from '../lib/alert-board.js';
import { breachesOf, latestOf, rulesFor, type Latest } from '../lib/breaches.js';
import { ApiError } from '../lib/api.js';
import { formatAgo, formatClock, formatDateTime, formatValue, humanize, unitLabel } from '../lib/format.js';
import { useNow, useObservable, useSubscription } from '../lib/observable.js';
import { usePersistentState } from '../lib/persist.js';
import { useSession } from '../lib/session.js';
import type { Aggregate, Alert, CatalogMetric, Device, Rule, Severity } from '../types.js';
import { AlertActions } from './alert-actions.js';
import { MetricChart, type Series, type Threshold } from './chart.js';
import { ExportLinks } from './export-links.js';
import { CheckIcon, SeverityIcon } from './icons.js';
import { StatusPill } from './status.js';

const RANGES: { id: string; label: string; seconds: number }[] = [
  { id: '15m', label: '15 min', seconds: 900 },
  { id: '1h', label: '1 hour', seconds: 3600 },
  { id: '6h', label: '6 hours', seconds: 21_600 },
  { id: '24h', label: '24 hours', seconds: 86_400 },
  { id: '7d', label: '7 days', seconds: 604_800 },
];
type AggChoice = 'auto' | 'raw' | Aggregate;
const AGGS: AggChoice[] = ['auto', 'raw', 'mean', 'min', 'max', 'last', 'count', 'sum'];
const BUCKETS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const COLOURS = ['#35d0ba', '#7aa7ff', '#f2c14e', '#c792ea', '#ff8a65'];

/** The bucket width that gives about 240 points over `seconds`. */
export function bucketFor(seconds: number): number {
  return BUCKETS.find((b) => seconds / b <= 240) ?? 86_400;
}

const durationText = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

export function DevicePage({ id }: { id: string }) {
  const session = useSession();
  useSubscription(session.devices);
  useSubscription(session.board);
  useObservable(session.catalog);
  const rules = useObservable(session.rules);
  const now = useNow(5000);
  const [missing, setMissing] = useState<string | undefined>();
  const device = session.devices.byId.get(id);

  // Newest point of each metric's history: the latest tiles show it when it is newer than the device's own
  // `latest` (which the server writes every half second).
  const [newest, setNewest] = useState<Record<string, { v: number | boolean; t: string }>>({});

  useEffect(() => {
    const load = () =>
      session.api.device(id).then(
        (d) => session.devices.put(d),
        (e) => setMissing(e instanceof ApiError && e.status === 404 ? `There is no device ${id}.` : String(e instanceof Error ? e.message : e)),
      );
    void load();
    const timer = window.setInterval(load, 10_000);
    session.live.watch([id]);
    return () => {
      window.clearInterval(timer);
      session.live.unwatch([id]);
    };
  }, [id]);

  if (!device) {
    return (
      <div class="page">
        <Crumbs id={id} />
        <div class="panel pad muted">{missing ?? 'Loading…'}</div>
      </div>
    );
  }
  const metrics = session.metricsOf(device.domain, device.type);
  const active = [...session.board.active.values()].filter((a) => a.deviceId === device.id);
  const worst = worstAlertByDevice(active).get(device.id);
  const breaches = breachesOf(device, active, [...rules.values()], newest);
  return (
    <div class="page device-page" data-device-id={device.id}>
      <Crumbs id={id} />
      <header class="device-head panel">
        <div class="device-title">
          <h1 class="mono">{device.id}</h1>
          <StatusPill status={device.status} alerts={worst} />
        </div>
        <dl class="facts">
          <div><dt>Name</dt><dd>{device.name ?? '—'}</dd></div>
          <div><dt>Type</dt><dd>{humanize(device.domain)} / {humanize(device.type)}</dd></div>
          <div><dt>District</dt><dd>{device.district ?? '—'}</dd></div>
          <div><dt>Location</dt><dd class="mono">{device.location ? `${device.location.lat.toFixed(4)}, ${device.location.lon.toFixed(4)}` : '—'}</dd></div>
          <div><dt>Last seen</dt><dd title={formatDateTime(device.lastSeen)}>{device.lastSeen ? formatAgo(device.lastSeen, now) : 'never'}</dd></div>
          <div><dt>Clock skew</dt><dd>{device.clockSkewMs === null ? '—' : `${device.clockSkewMs > 0 ? '+' : ''}${(device.clockSkewMs / 1000).toFixed(1)} s`}</dd></div>
        </dl>
      </header>
      <DeviceAlerts device={device} />
      <LatestValues device={device} newest={newest} metrics={metrics} now={now} breaches={breaches} />
      <History device={device} metrics={metrics} onNewest={setNewest} />
    </div>
  );
}

function Crumbs({ id }: { id: string }) {
  return (
    <nav class="crumbs">
      <a href="#/devices">Devices</a> <span class="muted">/</span> <span class="mono">{id}</span>
    </nav>
  );
}


function LatestValues({ device, newest, metrics, now, breaches }: { device: Device; newest: Latest; metrics: CatalogMetric[]; now: number; breaches: Map<string, Severity> }) {
  const names = metrics.length ? metrics.map((m) => m.name) : Object.keys(device.latest);
  return (
    <section class="latest">
      {names.map((name) => {
        const m = metrics.find((x) => x.name === name);
        const l = latestOf(device, newest, name);
        const breach = breaches.get(name);
        return (
          <div class={`metric-tile${breach ? ` breach breach-${breach}` : ''}`} key={name} data-metric={name} data-breach={breach ?? ''}>
            <div class="metric-name">{humanize(name)}</div>
            <div class="metric-value">{l ? formatValue(l.v) : '—'}<span class="metric-unit">{l && typeof l.v === 'number' ? unitLabel(m?.unit) : ''}</span></div>
            <div class="metric-time muted" title={l ? formatDateTime(l.t) : ''}>{l ? formatAgo(l.t, now) : 'no data yet'}</div>
          </div>
        );
      })}
    </section>
  );
}

function History({ device, metrics, onNewest }: { device: Device; metrics: CatalogMetric[]; onNewest(latest: Latest): void }) {
  const session = useSession();
  const rules = useObservable(session.rules);
  const [range, setRange] = usePersistentState('device.range', '1h');
  const [agg, setAgg] = usePersistentState<AggChoice>('device.agg', 'auto');
  const [data, setData] = useState<Record<string, Series>>({});
  const [window_, setWindow] = useState(() => ({ from: 0, to: 0 }));
  const [error, setError] = useState<string | undefined>();
  const seconds = RANGES.find((r) => r.id === range)?.seconds ?? 3600;
  const effective: 'raw' | Aggregate = agg === 'auto' ? (seconds <= 3600 ? 'raw' : 'mean') : agg;
  const every = effective === 'raw' ? undefined : bucketFor(seconds);
  // The bucket width and aggregate that the history and its export are asked for (none: raw points).
  const buckets = effective === 'raw' || every === undefined ? {} : { every: durationText(every), agg: effective };
  const metricKey = metrics.map((m) => m.name).join(',');

  useEffect(() => {
    if (!metrics.length) return;
    let cancelled = false;
    const load = async () => {
      const to = Math.floor(Date.now() / 1000);
      try {
        const results = await Promise.all(
          metrics.map((m) =>
            session.api.history(device.id, {
              metric: m.name, from: `-${durationText(seconds)}`, limit: 10_000,
              ...buckets,
            }),
          ),
        );
        if (cancelled) return;
        setData(Object.fromEntries(results.map((r) => [r.metric, toSeries(r.points)])));
        setWindow({ from: to - seconds, to });
        setError(undefined);
      } catch (e) {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      }
    };
    void load();
    // Aggregates are re-read every 30 s; raw points arrive live below.
    const timer = every ? window.setInterval(load, 30_000) : undefined;
    return () => {
      cancelled = true;
      if (timer) window.clearInterval(timer);
    };
  }, [device.id, metricKey, seconds, effective]);

  // Raw mode: append each live reading and slide the window.
  useEffect(() => {
    if (effective !== 'raw') return;
    return session.onReading((e) => {
      if (e.deviceId !== device.id) return;
      const t = Date.parse(e.ts) / 1000;
      const to = Math.max(Math.floor(Date.now() / 1000), Math.ceil(t));
      setWindow({ from: to - seconds, to });
      setData((prev) => {
        const next = { ...prev };
        for (const [m, v] of Object.entries(e.values)) next[m] = appendPoint(prev[m] ?? { t: [], v: [] }, t, typeof v === 'boolean' ? (v ? 1 : 0) : v, to - seconds);
        return next;
      });
    });
  }, [device.id, effective, seconds]);

  const thresholds = useMemo(() => thresholdsFor(device, [...rules.values()]), [device.id, rules]);

  // Raw points are real readings: hand the newest of each metric to the latest tiles.
  useEffect(() => {
    if (effective !== 'raw') return;
    const latest: Latest = {};
    for (const m of metrics) {
      const s = data[m.name];
      const i = s ? s.t.length - 1 : -1;
      if (s && i >= 0 && s.v[i] !== null) latest[m.name] = { v: m.kind === 'boolean' ? s.v[i] === 1 : s.v[i]!, t: new Date(s.t[i]! * 1000).toISOString() };
    }
    onNewest(latest);
  }, [data, effective]);

  return (
    <section class="panel history">
      <div class="panel-head">
        <h2 class="panel-title">History</h2>
        <div class="segmented" role="group" aria-label="range">
          {RANGES.map((r) => (
            <button key={r.id} class={r.id === range ? 'on' : ''} data-range={r.id} onClick={() => setRange(r.id)}>{r.label}</button>
          ))}
        </div>
        <label class="inline-label">
          Aggregation
          <select value={agg} data-agg onChange={(e) => setAgg(e.currentTarget.value as AggChoice)}>
            {AGGS.map((a) => <option key={a} value={a}>{a === 'auto' ? `auto (${effective})` : a}</option>)}
          </select>
        </label>
        <span class="muted small">{every ? `${effective} per ${durationText(every)}` : 'raw points, live'}</span>
        <ExportLinks query={{ deviceId: device.id, from: `-${durationText(seconds)}`, ...buckets }} />
      </div>
      {error && <div class="form-error pad">{error}</div>}
      <div class="charts">
        {metrics.map((m, i) => {
          const series = data[m.name] ?? { t: [], v: [] };
          const last = series.v.length ? series.v[series.v.length - 1] : null;
          return (
            <div class="chart-card" key={m.name} data-metric={m.name}>
              <div class="chart-head">
                <span class="chart-title">{humanize(m.name)}</span>
                <span class="muted small">{unitLabel(m.unit)}</span>
                <span class="chart-last mono">{last === null || last === undefined ? '' : m.kind === 'boolean' ? (last ? 'yes' : 'no') : formatValue(last, m.unit)}</span>
                <span class="muted small">{series.t.length} {series.t.length === 1 ? 'point' : 'points'}</span>
              </div>
              <MetricChart
                series={series}
                unit={m.unit}
                kind={m.kind}
                from={window_.from}
                to={window_.to}
                thresholds={thresholds.filter((t) => t.metric === m.name)}
                color={COLOURS[i % COLOURS.length]}
              />
            </div>
          );
        })}
      </div>
    </section>
  );
}

function DeviceAlerts({ device }: { device: Device }) {
  const session = useSession();
  useSubscription(session.board);
  const now = useNow(5000);
  const [history, setHistory] = useState<Alert[]>([]);
  const latest = session.board.feed.find((e) => e.alert.deviceId === device.id)?.eventId ?? 0;

  useEffect(() => {
    let cancelled = false;
    session.api.alerts({ deviceId: device.id, limit: 50 }).then((items) => !cancelled && setHistory(items), () => undefined);
    return () => {
      cancelled = true;
    };
  }, [device.id, latest]);

  // The board's live version wins over the fetched one when it is newer.
  const merged = new Map(history.map((a) => [a.id, a]));
  for (const a of session.board.active.values()) {
    if (a.deviceId === device.id && (merged.get(a.id)?.eventId ?? 0) < a.eventId) merged.set(a.id, a);
  }
  // Active ones first (they are what the page is opened for), then newest first.
  const alerts = [...merged.values()].sort((a, b) => Number(b.state !== 'resolved') - Number(a.state !== 'resolved') || b.id - a.id);

  return (
    <section class="panel device-alerts">
      <div class="panel-head"><h2 class="panel-title">Alerts</h2><span class="muted small">latest 50</span></div>
      {alerts.length === 0 ? (
        <div class="muted pad">No alerts for this device.</div>
      ) : (
        <table class="table">
          <thead>
            <tr><th>Severity</th><th>Alert</th><th>Fired</th><th>State</th><th>Ended</th>{session.canAct && <th />}</tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} class={`alert-row row-${a.severity} row-${a.state}`} data-alert-id={a.id} data-state={a.state}>
                <td><span class={`sev sev-${a.severity}`}><SeverityIcon severity={a.severity} /> {a.severity}</span></td>
                <td><div class="alert-name">{a.ruleName}</div><div class="alert-msg">{a.message}</div></td>
                <td title={formatDateTime(a.firedAt)}><span class="mono">{formatClock(a.firedAt, now)}</span> <span class="muted small">{formatAgo(a.firedAt, now)}</span></td>
                <td>
                  {a.state === 'acknowledged' ? <span class="state state-ack"><CheckIcon size={12} /> ack · {a.acknowledgedBy}</span>
                    : a.state === 'resolved' ? <span class="state state-resolved">resolved{a.resolvedBy && a.resolvedBy !== 'system' ? ` · ${a.resolvedBy}` : ''}</span>
                    : <span class="state state-firing">firing</span>}
                </td>
                <td class="mono">{a.resolvedAt ? formatClock(a.resolvedAt, now) : ''}</td>
                {session.canAct && <td class="col-actions"><AlertActions alert={a} /></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function toSeries(points: { t: string; v: number | boolean }[]): Series {
  return { t: points.map((p) => Date.parse(p.t) / 1000), v: points.map((p) => (typeof p.v === 'boolean' ? (p.v ? 1 : 0) : p.v)) };
}

/** Adds one point in time order and drops those before `floor`. */
function appendPoint(s: Series, t: number, v: number, floor: number): Series {
  const ts = [...s.t];
  const vs = [...s.v];
  let i = ts.length;
  while (i > 0 && ts[i - 1]! > t) i--;
  if (ts[i - 1] === t) vs[i - 1] = v;
  else {
    ts.splice(i, 0, t);
    vs.splice(i, 0, v);
  }
  let drop = 0;
  while (drop < ts.length && ts[drop]! < floor) drop++;
  return { t: ts.slice(drop), v: vs.slice(drop) };
}

/** Dashed lines on the chart for the enabled rules that apply to this device. */
function thresholdsFor(device: Device, rules: Rule[]): (Threshold & { metric: string })[] {
  const out: (Threshold & { metric: string })[] = [];
  for (const r of rulesFor(device, rules)) {
    const c = r.condition;
    if (c.op === 'no_data') continue;
    if ('low' in c) {
      out.push({ metric: r.metric, value: c.low, severity: r.severity, label: `${r.name} ${c.low}` });
      out.push({ metric: r.metric, value: c.high, severity: r.severity, label: `${r.name} ${c.high}` });
    } else out.push({ metric: r.metric, value: c.value, severity: r.severity, label: `${r.name} ${c.op} ${c.value}` });
  }
  return out;
}
