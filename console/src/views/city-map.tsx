// The city view: district outlines and device points drawn in SVG from their coordinates (no map tiles),
// coloured by presence and ringed by their most severe active alert.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { SEVERITY_RANK, compareDeviceAlerts, type DeviceAlerts } from '../lib/alert-board.js';
import { BOUNDS, DISTRICTS, RIDGE, RIVER, insidePolygon, type District } from '../lib/districts.js';
import { useFleet } from '../lib/fleet.js';
import { formatAgo, formatValue, humanize } from '../lib/format.js';
import { usePersistentState } from '../lib/persist.js';
import { deviceHref } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import type { Device, DeviceStatus, Severity } from '../types.js';
import { SeverityIcon } from './icons.js';
import { StatusPill } from './status.js';

const COS = Math.cos((((BOUNDS.north + BOUNDS.south) / 2) * Math.PI) / 180);
const SCALE = 1000 / (BOUNDS.north - BOUNDS.south);
const W = (BOUNDS.east - BOUNDS.west) * COS * SCALE;
const H = 1000;
const GOLDEN = Math.PI * (3 - Math.sqrt(5));

/** [lon, lat] → SVG user units (equirectangular, scaled by cos(latitude) so distances look right). */
const project = ([lon, lat]: [number, number]): [number, number] => [(lon - BOUNDS.west) * COS * SCALE, (BOUNDS.north - lat) * SCALE];
const path = (points: readonly [number, number][], close = true) => points.map((p, i) => `${i ? 'L' : 'M'}${project(p).map((n) => n.toFixed(1)).join(' ')}`).join('') + (close ? 'Z' : '');

interface Placed {
  device: Device;
  x: number;
  y: number;
  /** Placed near its district's centre because it has no coordinates. */
  approximate: boolean;
}

interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

const WHOLE: View = { x: 0, y: 0, w: W, h: H };

/** Where each device goes: its coordinates, else a spiral around its district's centre. */
export function placeDevices(devices: Device[]): { placed: Placed[]; unplaced: Device[] } {
  const placed: Placed[] = [];
  const unplaced: Device[] = [];
  const perDistrict = new Map<string, number>();
  for (const d of [...devices].sort((a, b) => a.id.localeCompare(b.id))) {
    if (d.location && d.location.lon >= BOUNDS.west && d.location.lon <= BOUNDS.east && d.location.lat >= BOUNDS.south && d.location.lat <= BOUNDS.north) {
      const [x, y] = project([d.location.lon, d.location.lat]);
      placed.push({ device: d, x, y, approximate: false });
      continue;
    }
    const shape = DISTRICTS.find((s) => s.name.toLowerCase() === (d.district ?? '').toLowerCase());
    if (!shape) {
      unplaced.push(d);
      continue;
    }
    const n = perDistrict.get(shape.name) ?? 0;
    perDistrict.set(shape.name, n + 1);
    const [cx, cy] = project([shape.centre.lon, shape.centre.lat]);
    const r = 6 * Math.sqrt(n + 1);
    placed.push({ device: d, x: cx + r * Math.cos(n * GOLDEN), y: cy + r * Math.sin(n * GOLDEN), approximate: true });
  }
  return { placed, unplaced };
}

/** The view onto a district: around its devices when it has some (they sit in its built-up part), else its outline. */
function viewOf(shape: District, devices: Placed[], aspect: number): View {
  const pts: [number, number][] = devices.length ? devices.map((p) => [p.x, p.y]) : shape.outline.map(project);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const pad = devices.length ? 30 : 25;
  let x = Math.min(...xs) - pad;
  let y = Math.min(...ys) - pad;
  let w = Math.max(...xs) - x + pad;
  let h = Math.max(...ys) - y + pad;
  if (w < 120) {
    x -= (120 - w) / 2;
    w = 120;
  }
  // Keep the frame's aspect ratio so the zoomed view fills it.
  if (w / h < aspect) {
    const nw = h * aspect;
    x -= (nw - w) / 2;
    w = nw;
  } else {
    const nh = w / aspect;
    y -= (nh - h) / 2;
    h = nh;
  }
  return { x, y, w, h };
}

export function CityMapPage() {
  const { session, catalog, now, alerts } = useFleet();
  const [focus, setFocus] = usePersistentState<string>('map.district', '');
  const [domains, setDomains] = usePersistentState<string[]>('map.domains', []);
  const [alertsOnly, setAlertsOnly] = usePersistentState('map.alertsOnly', false);
  const [hover, setHover] = useState<string | null>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const [frame, setFrame] = useState({ w: 800, h: 600 });
  useEffect(() => {
    const el = frameRef.current!;
    const measure = () => setFrame({ w: Math.max(100, el.clientWidth), h: Math.max(100, el.clientHeight) });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const devices = session.devices.list();
  const visible = devices.filter((d) => (!domains.length || domains.includes(d.domain)) && (!alertsOnly || alerts.has(d.id)));
  const byId = new Map(visible.map((d) => [d.id, d]));
  // Positions change only with the set of devices and their coordinates; status and alerts are read fresh below.
  const layout = useMemo(() => placeDevices(visible), [visible.map((d) => `${d.id}:${d.location?.lat},${d.location?.lon},${d.district}`).join('|')]);
  const placed = layout.placed.map((p) => ({ ...p, device: byId.get(p.device.id) ?? p.device }));
  const unplaced = layout.unplaced;
  // Worst severity first drawn last (on top).
  const order = [...placed].sort((a, b) => -compareDeviceAlerts(alerts.get(a.device.id), alerts.get(b.device.id)));
  const focusShape = DISTRICTS.find((s) => s.name === focus);
  const view = focusShape
    ? viewOf(focusShape, placed.filter((p) => (p.device.district ?? '').toLowerCase() === focusShape.name.toLowerCase()), frame.w / frame.h)
    : WHOLE;
  // SVG units per screen pixel: points and labels keep their on-screen size whatever the zoom and frame.
  const k = Math.max(view.w / frame.w, view.h / frame.h);
  const stats = districtStats(devices, alerts);
  const hovered = hover ? byId.get(hover) : undefined;
  const hoveredAt = hover ? placed.find((p) => p.device.id === hover) : undefined;

  return (
    <div class="page map-page">
      <section class="panel map-panel">
        <div class="map-toolbar">
          <button class={`btn btn-sm${focus ? '' : ' on'}`} onClick={() => setFocus('')}>Whole city</button>
          {DISTRICTS.map((d) => (
            <button key={d.name} class={`btn btn-sm${focus === d.name ? ' on' : ''}`} onClick={() => setFocus(focus === d.name ? '' : d.name)}>{d.name}</button>
          ))}
          <span class="sb-spacer" />
          {catalog?.domains.map((d) => (
            <button
              key={d.name}
              class={`chip${domains.includes(d.name) ? ' on' : ''}`}
              aria-pressed={domains.includes(d.name)}
              onClick={() => setDomains(domains.includes(d.name) ? domains.filter((x) => x !== d.name) : [...domains, d.name])}
            >
              {humanize(d.name)}
            </button>
          ))}
          <label class="inline-label"><input type="checkbox" checked={alertsOnly} onChange={(e) => setAlertsOnly(e.currentTarget.checked)} /> with alerts only</label>
        </div>
        <div class="map-frame" ref={frameRef}>
          <svg class="city-map" viewBox={`${view.x} ${view.y} ${view.w} ${view.h}`} preserveAspectRatio="xMidYMid meet" role="img" aria-label="city map of devices by district">
            <defs>
              <pattern id="grid" width={SCALE / 20} height={SCALE / 20} patternUnits="userSpaceOnUse">
                <path d={`M${SCALE / 20} 0H0V${SCALE / 20}`} fill="none" stroke="#142130" stroke-width={k} />
              </pattern>
            </defs>
            <rect x={-W} y={-H} width={3 * W} height={3 * H} fill="url(#grid)" />
            <path d={path(RIDGE, false)} class="ridge" stroke-width={2 * k} />
            <text {...textAt(project(RIDGE[2]!), -10 * k, 0)} class="geo-label" font-size={11 * k} text-anchor="end" transform={`rotate(-72 ${project(RIDGE[2]!).join(' ')})`}>HELAN SHAN</text>
            {DISTRICTS.map((d) => {
              const s = stats.get(d.name);
              return (
                <path
                  key={d.name}
                  d={path(d.outline)}
                  class={`district${s?.worst ? ` alert-${s.worst}` : ''}${focus === d.name ? ' focused' : ''}`}
                  stroke-width={1.4 * k}
                  data-district={d.name}
                  onClick={() => setFocus(focus === d.name ? '' : d.name)}
                />
              );
            })}
            <path d={path(RIVER, false)} class="river" stroke-width={4 * k} />
            <text {...textAt(project(RIVER[3]!), 10 * k, 0)} class="geo-label river-label" font-size={11 * k}>Yellow River</text>
            {DISTRICTS.map((d) => {
              const [x, y] = project(d.label);
              const s = stats.get(d.name);
              return (
                <g key={d.name} class="district-label" pointer-events="none" stroke-width={3 * k}>
                  <text x={x} y={y} font-size={12 * k} text-anchor="middle">{d.name.toUpperCase()}</text>
                  <text x={x} y={y + 14 * k} font-size={11 * k} text-anchor="middle" class="district-sub">
                    {s ? `${plural(s.total, 'device')}${s.alerts ? ` · ${plural(s.alerts, 'alert')}` : ''}` : 'no devices'}
                  </text>
                </g>
              );
            })}
            {order.map((p) => {
              const a = alerts.get(p.device.id);
              return (
                <g
                  key={p.device.id}
                  class={`pt status-${p.device.status}${a ? ` alert-${a.severity}` : ''}${p.approximate ? ' approx' : ''}`}
                  transform={`translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`}
                  data-device-id={p.device.id}
                  data-status={p.device.status}
                  data-alert={a?.severity ?? ''}
                  data-alert-state={a ? (a.firing ? 'firing' : 'acknowledged') : ''}
                  onMouseEnter={() => setHover(p.device.id)}
                  onMouseLeave={() => setHover((h) => (h === p.device.id ? null : h))}
                  onClick={() => (location.hash = deviceHref(p.device.id))}
                >
                  {a && (
                    <circle
                      class={`ring ring-${a.firing ? 'firing' : 'acknowledged'}`}
                      r={(a.firing ? 15 : 12) * k}
                      stroke-width={(a.firing ? 4 : 2.5) * k}
                    />
                  )}
                  <circle class="dot" r={5 * k} stroke-width={1.3 * k} />
                </g>
              );
            })}
            <ScaleBar view={view} k={k} />
          </svg>
          {hovered && hoveredAt && <Tooltip device={hovered} at={hoveredAt} view={view} alerts={alerts.get(hovered.id)} now={now} />}
        </div>
      </section>
      <aside class="panel map-side">
        <h2 class="panel-title">Districts</h2>
        <table class="table compact">
          <thead>
            <tr><th>District</th><th class="num">Devices</th><th class="num">Online</th><th class="num" title="offline or stale">Down</th><th class="num">Alerts</th></tr>
          </thead>
          <tbody>
            {DISTRICTS.map((d) => {
              const s = stats.get(d.name);
              return (
                <tr key={d.name} class={`clickable${focus === d.name ? ' selected' : ''}`} onClick={() => setFocus(focus === d.name ? '' : d.name)} data-district-row={d.name}>
                  <td>{d.name}</td>
                  <td class="num">{s?.total ?? 0}</td>
                  <td class="num ok">{s?.online ?? 0}</td>
                  <td class="num">{(s?.offline ?? 0) + (s?.stale ?? 0) || <span class="muted">0</span>}</td>
                  <td class="num">{s?.alerts ? <span class={`sev sev-${s.worst}`}><SeverityIcon severity={s.worst!} size={12} /> {s.alerts}</span> : <span class="muted">0</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {unplaced.length > 0 && <p class="muted small pad">{unplaced.length} devices have neither coordinates nor a known district and are not drawn.</p>}
        <h2 class="panel-title">Legend</h2>
        <ul class="legend">
          {(['online', 'offline', 'stale'] as DeviceStatus[]).map((s) => (
            <li key={s}><svg width="14" height="14" viewBox="-7 -7 14 14"><circle class={`legend-dot status-${s}`} r="4.5" /></svg> {s}</li>
          ))}
          {(['critical', 'warning', 'info'] as Severity[]).map((s) => (
            <li key={s}><svg width="22" height="22" viewBox="-11 -11 22 22"><circle class={`legend-ring alert-${s}`} r="8.5" stroke-width="3" /><circle class="legend-dot status-online" r="3.5" /></svg> {s} alert, firing</li>
          ))}
          <li><svg width="22" height="22" viewBox="-11 -11 22 22"><circle class="legend-ring alert-critical" r="8.5" stroke-dasharray="3 3" stroke-opacity="0.55" /><circle class="legend-dot status-online" r="3.5" /></svg> acknowledged (dashed): someone is on it</li>
          <li><svg width="14" height="14" viewBox="-7 -7 14 14"><circle class="legend-dot approx-dot" r="4.5" /></svg> no coordinates: near district centre</li>
        </ul>
      </aside>
    </div>
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function textAt([x, y]: [number, number], dx: number, dy: number) {
  return { x: x + dx, y: y + dy };
}

function Tooltip({ device, at, view, alerts, now }: { device: Device; at: Placed; view: View; alerts?: DeviceAlerts; now: number }) {
  const session = useSession();
  const left = ((at.x - view.x) / view.w) * 100;
  const top = ((at.y - view.y) / view.h) * 100;
  const metrics = session.metricsOf(device.domain, device.type);
  return (
    <div class={`map-tip${left > 60 ? ' flip' : ''}`} style={{ left: `${left}%`, top: `${top}%` }}>
      <div class="map-tip-head"><span class="mono">{device.id}</span> <StatusPill status={device.status} alerts={alerts} /></div>
      <div class="muted small">{humanize(device.type)} · {device.district ?? 'no district'}{at.approximate ? ' · approximate position' : ''}</div>
      <div class="small">{device.lastSeen ? `seen ${formatAgo(device.lastSeen, now)}` : 'never seen'}</div>
      <div class="kvs">
        {Object.entries(device.latest).slice(0, 4).map(([m, { v }]) => (
          <span class="kv" key={m}><span class="k">{humanize(m)}</span> <span class="v">{formatValue(v, metrics.find((x) => x.name === m)?.unit)}</span></span>
        ))}
      </div>
      {alerts && <div class={`sev sev-${alerts.severity} small`}><SeverityIcon severity={alerts.severity} size={12} /> {alerts.count} active {alerts.count === 1 ? 'alert' : 'alerts'}</div>}
    </div>
  );
}

/** A scale bar in the bottom-left corner of the view: 5 km, or less when zoomed in. */
function ScaleBar({ view, k }: { view: View; k: number }) {
  const unitsPerKm = SCALE / 111.32; // one degree of latitude is about 111 km
  const km = k < 0.35 ? 1 : k < 0.7 ? 2 : 5;
  const x = view.x + 24 * k;
  const y = view.y + view.h - 24 * k;
  const len = km * unitsPerKm;
  return (
    <g class="scale-bar" pointer-events="none">
      <path d={`M${x} ${y - 5 * k}V${y}H${x + len}V${y - 5 * k}`} stroke-width={1.5 * k} />
      <text x={x + len / 2} y={y - 8 * k} font-size={11 * k} text-anchor="middle">{km} km</text>
    </g>
  );
}

interface DistrictStats {
  total: number;
  online: number;
  offline: number;
  stale: number;
  alerts: number;
  worst?: Severity;
}

function districtStats(devices: Device[], alerts: Map<string, DeviceAlerts>): Map<string, DistrictStats> {
  const out = new Map<string, DistrictStats>();
  for (const d of devices) {
    const name = d.district ?? DISTRICTS.find((s) => d.location && insidePolygon([d.location.lon, d.location.lat], s.outline))?.name;
    if (!name) continue;
    const s = out.get(name) ?? { total: 0, online: 0, offline: 0, stale: 0, alerts: 0 };
    s.total++;
    s[d.status]++;
    const a = alerts.get(d.id);
    if (a) {
      s.alerts += a.count;
      if (!s.worst || SEVERITY_RANK[a.severity] > SEVERITY_RANK[s.worst]) s.worst = a.severity;
    }
    out.set(name, s);
  }
  return out;
}
