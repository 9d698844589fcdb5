// Maintenance windows: matching alerts are still recorded but not pushed as new. Operators create and end them.
import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatUntil, humanize } from '../lib/format.js';
import { useNow, useObservable, useSubscription } from '../lib/observable.js';
import { useSession } from '../lib/session.js';
import type { Silence, SilenceMatch } from '../types.js';

const DURATIONS = [
  { value: '+30m', label: '30 minutes' },
  { value: '+1h', label: '1 hour' },
  { value: '+2h', label: '2 hours' },
  { value: '+4h', label: '4 hours' },
  { value: '+8h', label: '8 hours' },
  { value: '+24h', label: '24 hours' },
  { value: '+7d', label: '7 days' },
];
const MATCH_KEYS: (keyof SilenceMatch)[] = ['domain', 'type', 'district', 'deviceId', 'ruleId'];

export function SilencesPage({ prefill }: { prefill?: Record<string, string> }) {
  const session = useSession();
  const now = useNow(5000);
  const [items, setItems] = useState<Silence[]>([]);
  const [showExpired, setShowExpired] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const load = () =>
    session.api.silences(showExpired ? 'all' : 'current').then(
      (list) => {
        setItems(list.sort((a, b) => Date.parse(b.from) - Date.parse(a.from)));
        setError(undefined);
      },
      (e) => setError(e instanceof Error ? e.message : String(e)),
    );
  useEffect(() => {
    void load();
    const t = window.setInterval(load, 15_000);
    return () => window.clearInterval(t);
  }, [showExpired]);

  const end = async (s: Silence) => {
    try {
      await session.api.endSilence(s.id);
      session.toasts.show('Silence ended.');
      void load();
    } catch (e) {
      session.toasts.show(`Could not end the silence: ${e instanceof Error ? e.message : e}`, 'error');
    }
  };

  return (
    <div class="page silences">
      <div class="page-head">
        <h1>Silences</h1>
        <span class="muted">Maintenance windows: matching alerts are still recorded, but not pushed or sounded.</span>
      </div>
      <div class={session.canAct ? 'silences-grid' : ''}>
        {session.canAct && <SilenceForm prefill={prefill} onCreated={load} />}
        <section class="panel">
          <div class="panel-head">
            <h2 class="panel-title">{showExpired ? 'All silences' : 'Current and scheduled'}</h2>
            <label class="inline-label"><input type="checkbox" checked={showExpired} onChange={(e) => setShowExpired(e.currentTarget.checked)} /> show expired</label>
          </div>
          {error && <div class="form-error pad">{error}</div>}
          {items.length === 0 ? (
            <div class="muted pad">No silences{showExpired ? '' : ' in force or scheduled'}.</div>
          ) : (
            <table class="table silences-table">
              <thead>
                <tr><th>State</th><th>Matches</th><th>Reason</th><th>From</th><th>Until</th><th>By</th>{session.canAct && <th />}</tr>
              </thead>
              <tbody>
                {items.map((s) => {
                  const expired = Date.parse(s.to) <= now;
                  return (
                    <tr key={s.id} data-silence-id={s.id}>
                      <td><span class={`state ${s.active ? 'state-ack' : expired ? 'state-resolved' : 'state-scheduled'}`}>{s.active ? 'in force' : expired ? 'expired' : 'scheduled'}</span></td>
                      <td>{MATCH_KEYS.filter((k) => s.match[k]).map((k) => <span class="tag" key={k}>{k === 'deviceId' ? 'device' : k === 'ruleId' ? 'rule' : k} = {s.match[k]}</span>)}</td>
                      <td>{s.reason}</td>
                      <td title={formatDateTime(s.from)}>{formatDateTime(s.from)}</td>
                      <td title={formatDateTime(s.to)}>{formatDateTime(s.to)}{!expired && <div class="muted small">in {formatUntil(s.to, now)}</div>}</td>
                      <td>{s.createdBy}</td>
                      {session.canAct && <td class="col-actions">{!expired && <button class="btn btn-sm" data-action="end-silence" onClick={() => void end(s)}>End now</button>}</td>}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </div>
  );
}

function SilenceForm({ prefill, onCreated }: { prefill?: Record<string, string>; onCreated(): void }) {
  const session = useSession();
  const catalog = useObservable(session.catalog);
  const rules = useObservable(session.rules);
  useSubscription(session.devices);
  const [match, setMatch] = useState<SilenceMatch>(() => Object.fromEntries(MATCH_KEYS.filter((k) => prefill?.[k]).map((k) => [k, prefill![k]])));
  const [to, setTo] = useState('+1h');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const set = (k: keyof SilenceMatch, v: string) => setMatch({ ...match, [k]: v || undefined });
  const districts = [...new Set(session.devices.list().map((d) => d.district).filter((d): d is string => !!d))].sort();
  const types = catalog?.domains.filter((d) => !match.domain || d.name === match.domain).flatMap((d) => d.types.map((t) => t.name)) ?? [];
  const any = MATCH_KEYS.some((k) => match[k]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.api.createSilence({ match, to, reason: reason.trim() });
      session.toasts.show('Silence created.');
      setReason('');
      onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel silence-form" onSubmit={submit}>
      <h2 class="panel-title">New silence</h2>
      <div class="form-grid">
        <label>Domain
          <select value={match.domain ?? ''} onChange={(e) => setMatch({ ...match, domain: e.currentTarget.value || undefined, type: undefined })}>
            <option value="">any</option>
            {catalog?.domains.map((d) => <option key={d.name} value={d.name}>{humanize(d.name)}</option>)}
          </select>
        </label>
        <label>Type
          <select value={match.type ?? ''} onChange={(e) => set('type', e.currentTarget.value)}>
            <option value="">any</option>
            {types.map((t) => <option key={t} value={t}>{humanize(t)}</option>)}
          </select>
        </label>
        <label>District
          <select value={match.district ?? ''} onChange={(e) => set('district', e.currentTarget.value)}>
            <option value="">any</option>
            {districts.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <label>Device
          <input list="silence-devices" value={match.deviceId ?? ''} placeholder="any" onInput={(e) => set('deviceId', e.currentTarget.value.trim())} />
          <datalist id="silence-devices">{session.devices.list().slice(0, 500).map((d) => <option key={d.id} value={d.id} />)}</datalist>
        </label>
        <label class="span-2">Rule
          <select value={match.ruleId ?? ''} onChange={(e) => set('ruleId', e.currentTarget.value)}>
            <option value="">any</option>
            {[...rules.values()].map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
          </select>
        </label>
        <label>For
          <select value={to} onChange={(e) => setTo(e.currentTarget.value)}>
            {DURATIONS.map((d) => <option key={d.value} value={d.value}>{d.label}</option>)}
          </select>
        </label>
        <label class="span-2">Reason
          <input value={reason} required maxLength={500} placeholder="e.g. sensor replacement, works on site" onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      </div>
      {!any && <div class="muted small">Name at least one of domain, type, district, device or rule.</div>}
      {error && <div class="form-error">{error}</div>}
      <button class="btn btn-primary" type="submit" disabled={busy || !any || !reason.trim()}>Silence</button>
    </form>
  );
}
