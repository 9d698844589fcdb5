// The fleet: every device with its presence, last seen, latest values and active alerts; filters.
import { useMemo } from 'preact/hooks';
import { compareDeviceAlerts } from '../lib/alert-board.js';
import { useFleet } from '../lib/fleet.js';
import { formatAgo, formatDateTime, formatValue, humanize } from '../lib/format.js';
import { usePersistentState } from '../lib/persist.js';
import { deviceHref } from '../lib/router.js';
import type { Device, DeviceStatus } from '../types.js';
import { ExportLinks } from './export-links.js';
import { SeverityIcon } from './icons.js';
import { StatusPill } from './status.js';
import { Table } from './table.js';

interface DeviceFilter {
  text: string;
  domain: string;
  type: string;
  district: string;
  status: '' | DeviceStatus;
  /** Only devices with an active alert. */
  alerts: boolean;
  /** `alerts`: worst active alerts first (then by id); `id`: by id. */
  sort: 'id' | 'alerts';
}

const NO_FILTER: DeviceFilter = { text: '', domain: '', type: '', district: '', status: '', alerts: false, sort: 'id' };
const STATUSES: DeviceStatus[] = ['online', 'offline', 'stale'];
export function DevicesPage() {
  const { session, catalog, now, alerts } = useFleet();
  const [stored, setFilter] = usePersistentState<DeviceFilter>('devices.filter', NO_FILTER);
  const filter: DeviceFilter = { ...NO_FILTER, ...stored }; // a filter kept by an older console lacks the newer fields
  const set = (patch: Partial<DeviceFilter>) => setFilter({ ...filter, ...patch });
  const all = session.devices.list();

  const districts = useMemo(() => [...new Set(all.map((d) => d.district).filter((d): d is string => !!d))].sort(), [all.length]);
  const types = catalog?.domains.filter((d) => !filter.domain || d.name === filter.domain).flatMap((d) => d.types.map((t) => t.name)) ?? [];
  const base = all.filter((d) => matches(d, { ...filter, status: '' }) && (!filter.alerts || alerts.has(d.id)));
  const byId = (a: Device, b: Device) => a.id.localeCompare(b.id);
  const order = filter.sort === 'alerts' ? (a: Device, b: Device) => compareDeviceAlerts(alerts.get(a.id), alerts.get(b.id)) || byId(a, b) : byId;
  const shown = base.filter((d) => !filter.status || d.status === filter.status).sort(order);
  const withAlerts = all.filter((d) => matches(d, { ...filter, status: '' }) && alerts.has(d.id)).length;
  const counts = Object.fromEntries(STATUSES.map((s) => [s, base.filter((d) => d.status === s).length])) as Record<DeviceStatus, number>;

  return (
    <div class="page devices">
      <div class="page-head">
        <h1>Devices</h1>
        <div class="segmented" role="group" aria-label="status">
          <button class={filter.status === '' ? 'on' : ''} onClick={() => set({ status: '' })}>All <b>{base.length}</b></button>
          {STATUSES.map((s) => (
            <button key={s} class={`seg-${s}${filter.status === s ? ' on' : ''}`} data-filter-status={s} onClick={() => set({ status: filter.status === s ? '' : s })}>
              <span class={`status-dot status-${s}`} /> {s} <b>{counts[s]}</b>
            </button>
          ))}
        </div>
      </div>
      <div class="toolbar">
        <input class="search" type="search" placeholder="Search id or name" value={filter.text} onInput={(e) => set({ text: e.currentTarget.value })} />
        <select aria-label="domain" value={filter.domain} onChange={(e) => set({ domain: e.currentTarget.value, type: '' })}>
          <option value="">All domains</option>
          {catalog?.domains.map((d) => <option key={d.name} value={d.name}>{humanize(d.name)}</option>)}
        </select>
        <select aria-label="type" value={filter.type} onChange={(e) => set({ type: e.currentTarget.value })}>
          <option value="">All types</option>
          {types.map((t) => <option key={t} value={t}>{humanize(t)}</option>)}
        </select>
        <select aria-label="district" value={filter.district} onChange={(e) => set({ district: e.currentTarget.value })}>
          <option value="">All districts</option>
          {districts.map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
        <button
          class={`chip${filter.alerts ? ' on' : ''}`}
          aria-pressed={filter.alerts}
          data-filter-alerts
          onClick={() => set({ alerts: !filter.alerts })}
          title="Only devices with an active alert"
        >
          with alerts <b>{withAlerts}</b>
        </button>
        <label class="inline-label">
          Sort
          <select data-sort value={filter.sort} onChange={(e) => set({ sort: e.currentTarget.value as DeviceFilter['sort'] })}>
            <option value="id">by id</option>
            <option value="alerts">worst alerts first</option>
          </select>
        </label>
        {JSON.stringify(filter) !== JSON.stringify(NO_FILTER) && <button class="btn btn-ghost btn-sm" onClick={() => setFilter(NO_FILTER)}>Clear filters</button>}
        {/* The export takes the domain, type and district filters (the API's); search, status and alerts are the list's own. */}
        <ExportLinks label="Export last 24 h" query={{ from: '-24h', domain: filter.domain, type: filter.type, district: filter.district }} />
        <span class="toolbar-count">{shown.length} of {all.length} devices</span>
      </div>
      <section class="panel">
        {!session.devices.loaded ? (
          <div class="muted pad">{session.devices.error ? `Could not load devices: ${session.devices.error}` : 'Loading devices…'}</div>
        ) : shown.length === 0 ? (
          <div class="muted pad">{all.length ? 'No device matches these filters.' : 'No devices registered yet (POST /api/devices, or npm run demo).'}</div>
        ) : (
          <Table kind="devices-table" head={['Status', 'Device', 'Type', 'District', 'Last seen', 'Latest values', 'Alerts']}>
              {shown.slice(0, 1000).map((d) => {
                const metrics = session.metricsOf(d.domain, d.type);
                const alert = alerts.get(d.id);
                return (
                  <tr key={d.id} data-device-id={d.id} data-status={d.status} data-alert={alert?.severity ?? ''} class="clickable" onClick={(e) => { if (!(e.target as Element).closest('a')) location.hash = deviceHref(d.id); }}>
                    <td><StatusPill status={d.status} alerts={alert} /></td>
                    <td>
                      <a href={deviceHref(d.id)} class="mono">{d.id}</a>
                      {d.name && <div class="muted small">{d.name}</div>}
                    </td>
                    <td>{humanize(d.type)}<div class="muted small">{humanize(d.domain)}</div></td>
                    <td>{d.district ?? <span class="muted">—</span>}</td>
                    <td title={formatDateTime(d.lastSeen)}>{d.lastSeen ? formatAgo(d.lastSeen, now) : <span class="muted">never</span>}</td>
                    <td><div class="values-list">
                      {Object.keys(d.latest).length === 0 && <span class="muted">—</span>}
                      {Object.entries(d.latest).slice(0, 5).map(([m, { v }]) => (
                        <span key={m} class="kv"><span class="k">{humanize(m)}</span> <span class="v">{formatValue(v, metrics.find((x) => x.name === m)?.unit)}</span></span>
                      ))}
                    </div></td>
                    <td>
                      {alert ? (
                        <span class={`sev sev-${alert.severity}`} title={`${alert.count} active, ${alert.firing} not acknowledged`}><SeverityIcon severity={alert.severity} size={13} /> {alert.count}</span>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
          </Table>
        )}
      </section>
    </div>
  );
}

function matches(d: Device, f: DeviceFilter): boolean {
  if (f.domain && d.domain !== f.domain) return false;
  if (f.type && d.type !== f.type) return false;
  if (f.district && d.district !== f.district) return false;
  if (f.status && d.status !== f.status) return false;
  if (f.text) {
    const t = f.text.toLowerCase();
    if (!d.id.toLowerCase().includes(t) && !(d.name ?? '').toLowerCase().includes(t)) return false;
  }
  return true;
}
