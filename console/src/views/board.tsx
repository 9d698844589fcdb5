// The live alert board: active alerts most severe and newest first, filters, and the feed of recent transitions.
import { useMemo, useState } from 'preact/hooks';
import { silentSince, type FeedEntry } from '../lib/alert-board.js';
import { formatAge, formatAgo, formatClock, formatCondition, formatDateTime, formatValue, humanize } from '../lib/format.js';
import { useNow, useObservable, useSubscription } from '../lib/observable.js';
import { usePersistentState } from '../lib/persist.js';
import { alertHref, deviceHref } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import { SEVERITIES, type Alert, type Severity } from '../types.js';
import { AlertActions } from './alert-actions.js';
import { BulkBar } from './bulk-actions.js';
import { CheckIcon, ResolveIcon, SeverityIcon } from './icons.js';

export interface AlertFilter {
  severities: Severity[];
  domain: string;
  district: string;
  state: '' | 'firing' | 'acknowledged';
  text: string;
}

const NO_FILTER: AlertFilter = { severities: [], domain: '', district: '', state: '', text: '' };

/** True when the alert passes the board's filter. */
export function matchesFilter(a: Alert, f: AlertFilter): boolean {
  if (f.severities.length && !f.severities.includes(a.severity)) return false;
  if (f.domain && a.domain !== f.domain) return false;
  if (f.district && (a.district ?? '') !== f.district) return false;
  if (f.state && a.state !== f.state) return false;
  if (f.text) {
    const t = f.text.toLowerCase();
    if (![a.deviceId, a.ruleName, a.message, a.type, a.district ?? ''].some((s) => s.toLowerCase().includes(t))) return false;
  }
  return true;
}

export function AlertBoardPage() {
  const session = useSession();
  useSubscription(session.board);
  useSubscription(session.devices);
  const catalog = useObservable(session.catalog);
  const [filter, setFilter] = usePersistentState<AlertFilter>('board.filter', NO_FILTER);
  const all = session.board.sorted();
  const shown = all.filter((a) => matchesFilter(a, filter));
  const set = (patch: Partial<AlertFilter>) => setFilter({ ...filter, ...patch });

  const domains = catalog?.domains.map((d) => d.name) ?? [...new Set(all.map((a) => a.domain))];
  const districts = useMemo(
    () => [...new Set([...session.devices.list().map((d) => d.district), ...all.map((a) => a.district)].filter((d): d is string => !!d))].sort(),
    [session.devices.byId.size, all.length],
  );
  const filtered = JSON.stringify(filter) !== JSON.stringify(NO_FILTER);
  // Selected alert ids for bulk ack/resolve; only those still shown count (resolved or filtered out ones drop away).
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const selected = shown.filter((a) => picked.has(a.id));
  const selection: Selection = {
    has: (id) => picked.has(id),
    toggle: (id) => setPicked((p) => { const n = new Set(p); if (!n.delete(id)) n.add(id); return n; }),
    setAll: (ids, on) => setPicked((p) => { const n = new Set(p); for (const id of ids) if (on) n.add(id); else n.delete(id); return n; }),
  };

  return (
    <div class="page board">
      <Summary alerts={all} filter={filter} onToggle={(s) => set({ severities: filter.severities.includes(s) ? filter.severities.filter((x) => x !== s) : [...filter.severities, s] })} />
      <div class="toolbar" role="search">
        <div class="chips" aria-label="severity">
          {SEVERITIES.map((s) => (
            <button
              key={s}
              class={`chip chip-${s}${filter.severities.includes(s) ? ' on' : ''}`}
              aria-pressed={filter.severities.includes(s)}
              data-filter-severity={s}
              onClick={() => set({ severities: filter.severities.includes(s) ? filter.severities.filter((x) => x !== s) : [...filter.severities, s] })}
            >
              <SeverityIcon severity={s} size={12} /> {s}
            </button>
          ))}
        </div>
        <select aria-label="domain" data-filter="domain" value={filter.domain} onChange={(e) => set({ domain: e.currentTarget.value })}>
          <option value="">All domains</option>
          {domains.map((d) => <option key={d} value={d}>{humanize(d)}</option>)}
        </select>
        <select aria-label="district" data-filter="district" value={filter.district} onChange={(e) => set({ district: e.currentTarget.value })}>
          <option value="">All districts</option>
          {districts.map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
        <select aria-label="state" data-filter="state" value={filter.state} onChange={(e) => set({ state: e.currentTarget.value as AlertFilter['state'] })}>
          <option value="">Firing and acknowledged</option>
          <option value="firing">Not acknowledged</option>
          <option value="acknowledged">Acknowledged</option>
        </select>
        <input class="search" type="search" placeholder="Search device, rule, message" value={filter.text} onInput={(e) => set({ text: e.currentTarget.value })} />
        {filtered && <button class="btn btn-ghost btn-sm" onClick={() => setFilter(NO_FILTER)}>Clear filters</button>}
        <span class="toolbar-count">{shown.length === all.length ? `${all.length} active` : `${shown.length} of ${all.length} active`}</span>
      </div>
      <div class="board-grid">
        <section class="panel alerts-panel" aria-label="active alerts">
          {session.canAct && <BulkBar selected={selected} onDone={(failed) => setPicked(new Set(failed))} />}
          {shown.length ? <AlertTable alerts={shown} selection={selection} /> : <Empty total={all.length} />}
        </section>
        <Feed entries={session.board.feed.filter((e) => matchesFilter(e.alert, { ...filter, state: '' }))} />
      </div>
    </div>
  );
}

function Summary({ alerts, filter, onToggle }: { alerts: Alert[]; filter: AlertFilter; onToggle(s: Severity): void }) {
  const count = (s: Severity) => alerts.filter((a) => a.severity === s);
  const acked = alerts.filter((a) => a.state === 'acknowledged').length;
  const devices = new Set(alerts.map((a) => a.deviceId)).size;
  return (
    <div class="summary">
      {SEVERITIES.map((s) => {
        const list = count(s);
        const open = list.filter((a) => a.state === 'firing').length;
        return (
          <button key={s} class={`tile tile-${s}${list.length ? ' has' : ''}${filter.severities.includes(s) ? ' on' : ''}`} onClick={() => onToggle(s)} data-testid={`tile-${s}`}>
            <span class="tile-label"><SeverityIcon severity={s} size={13} /> {s}</span>
            <span class="tile-value">{list.length}</span>
            <span class="tile-sub">{open ? `${open} not acknowledged` : list.length ? 'all acknowledged' : 'none'}</span>
          </button>
        );
      })}
      <div class="tile tile-neutral">
        <span class="tile-label">acknowledged</span>
        <span class="tile-value">{acked}</span>
        <span class="tile-sub">being handled</span>
      </div>
      <div class="tile tile-neutral">
        <span class="tile-label">devices affected</span>
        <span class="tile-value">{devices}</span>
        <span class="tile-sub">with an active alert</span>
      </div>
    </div>
  );
}

interface Selection {
  has(id: number): boolean;
  toggle(id: number): void;
  setAll(ids: number[], on: boolean): void;
}

function AlertTable({ alerts, selection }: { alerts: Alert[]; selection: Selection }) {
  const session = useSession();
  const now = useNow(1000);
  const flashing = useObservable(session.flashing);
  const rules = useObservable(session.rules);
  const visible = alerts.slice(0, 500);
  const allPicked = visible.length > 0 && visible.every((a) => selection.has(a.id));
  return (
    <table class="table alerts-table">
      <thead>
        <tr>
          {session.canAct && (
            <th class="col-select">
              <input type="checkbox" data-select="all" aria-label="select every alert shown" checked={allPicked} onChange={() => selection.setAll(visible.map((a) => a.id), !allPicked)} />
            </th>
          )}
          <th class="col-sev">Severity</th>
          <th class="col-alert">Alert</th>
          <th class="col-device">Device · district</th>
          <th class="col-value num">Value</th>
          <th class="col-fired">Fired</th>
          <th class="col-state">State</th>
          {session.canAct && <th class="col-actions"><span class="sr-only">Actions</span></th>}
        </tr>
      </thead>
      <tbody>
        {visible.map((a) => {
          const metric = a.metric ? session.metricsOf(a.domain, a.type).find((m) => m.name === a.metric) : undefined;
          const value = a.lastValue ?? a.value;
          const flash = (flashing.get(a.id) ?? 0) > now;
          return (
            <tr key={a.id} class={`alert-row row-${a.severity} row-${a.state}${a.silenced ? ' silenced' : ''}${flash ? ' flash' : ''}`} data-alert-id={a.id} data-state={a.state} data-severity={a.severity} data-device={a.deviceId}>
              {session.canAct && (
                <td class="col-select">
                  <input type="checkbox" data-select={a.id} aria-label={`select alert ${a.id}`} checked={selection.has(a.id)} onChange={() => selection.toggle(a.id)} />
                </td>
              )}
              <td class="col-sev">
                <span class={`sev sev-${a.severity}`}><SeverityIcon severity={a.severity} /> {a.severity}</span>
              </td>
              <td class="col-alert">
                <div class="alert-name" title={a.ruleName}><a href={alertHref(a.id)} class="alert-link">{a.ruleName}</a>{a.silenced && <span class="tag">silenced</span>}</div>
                <div class="alert-msg" title={a.message}>{a.message}</div>
              </td>
              <td class="col-device">
                <a href={deviceHref(a.deviceId)} class="mono" title={a.deviceId}>{a.deviceId}</a>
                <div class="muted small">{humanize(a.type)} · {a.district ?? 'no district'}</div>
              </td>
              <td class="num">
                <div class="value">{a.metric ? formatValue(value, metric?.unit) : formatAge(silentSince(a, session.devices.byId.get(a.deviceId)?.lastSeen), now)}</div>
                <div class="muted small">{a.metric ? `${a.metric} ${formatCondition(rules.get(a.ruleId)?.condition, a.threshold)}` : 'silent'}</div>
              </td>
              <td title={formatDateTime(a.firedAt)}>
                <div class="mono">{formatClock(a.firedAt, now)}</div>
                <div class="muted small">{formatAgo(a.firedAt, now)}</div>
              </td>
              <td>
                {a.state === 'acknowledged' ? (
                  <span class="state state-ack" title={`acknowledged by ${a.acknowledgedBy} at ${formatDateTime(a.acknowledgedAt)}`}>
                    <CheckIcon size={12} /> ack · {a.acknowledgedBy}
                  </span>
                ) : (
                  <span class="state state-firing">firing</span>
                )}
              </td>
              {session.canAct && <td class="col-actions"><AlertActions alert={a} /></td>}
            </tr>
          );
        })}
      </tbody>
      {alerts.length > visible.length && (
        <tfoot><tr><td colSpan={8} class="muted">{alerts.length - visible.length} more not shown: narrow the filters.</td></tr></tfoot>
      )}
    </table>
  );
}

function Empty({ total }: { total: number }) {
  return (
    <div class="empty">
      <div class="empty-icon"><CheckIcon size={28} /></div>
      <div class="empty-title">{total ? 'Nothing matches these filters' : 'All clear'}</div>
      <div class="muted">{total ? `${total} active ${total === 1 ? 'alert is' : 'alerts are'} hidden by the filters.` : 'No active alerts in the city right now.'}</div>
    </div>
  );
}

function Feed({ entries }: { entries: FeedEntry[] }) {
  const now = useNow(5000);
  return (
    <aside class="panel feed" aria-label="recent events">
      <h2 class="panel-title">Recent events</h2>
      {entries.length === 0 && <div class="muted pad">No alert activity yet.</div>}
      <ol class="feed-list">
        {entries.slice(0, 80).map((e) => (
          <li key={e.eventId} class={`feed-item kind-${e.kind} row-${e.alert.severity}`} data-event-id={e.eventId} data-alert-id={e.alert.id} data-kind={e.kind}>
            <span class="feed-icon">
              {e.kind === 'fired' ? <SeverityIcon severity={e.alert.severity} size={14} /> : e.kind === 'acknowledged' ? <CheckIcon /> : <ResolveIcon />}
            </span>
            <div class="feed-body">
              <div class="feed-line">
                <span class="feed-kind">{e.kind}</span> {e.alert.ruleName}
              </div>
              <div class="feed-meta">
                <a href={deviceHref(e.alert.deviceId)} class="mono" title={e.alert.deviceId}>{e.alert.deviceId}</a>
              </div>
              <div class="feed-meta">
                {e.alert.district ?? 'no district'}
                {e.kind === 'acknowledged' && e.alert.acknowledgedBy && <> · by {e.alert.acknowledgedBy}</>}
                {e.kind === 'resolved' && e.alert.resolvedBy && <> · {e.alert.resolvedBy === 'system' ? 'cleared' : `by ${e.alert.resolvedBy}`}</>}
              </div>
            </div>
            <time class="feed-time mono" title={formatDateTime(eventTime(e))}>{formatClock(eventTime(e), now)}</time>
          </li>
        ))}
      </ol>
    </aside>
  );
}

function eventTime(e: FeedEntry): string {
  if (e.kind === 'acknowledged') return e.alert.acknowledgedAt ?? e.alert.firedAt;
  if (e.kind === 'resolved') return e.alert.resolvedAt ?? e.alert.firedAt;
  return e.alert.firedAt;
}
