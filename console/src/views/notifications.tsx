// Contact points and notification policies: who is told of which alerts, with "send a test". Admins change them.
import { useEffect, useState } from 'preact/hooks';
import { notifyApi, type ContactPoint, type NotificationPolicy } from '../lib/notify-api.js';
import { useSession } from '../lib/session.js';
import { SEVERITIES, type Severity, type WebhookFormat } from '../types.js';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function NotificationsPage() {
  const session = useSession();
  const isAdmin = session.principal.role === 'admin';
  const [points, setPoints] = useState<ContactPoint[]>([]);
  const [policies, setPolicies] = useState<NotificationPolicy[]>([]);
  const [error, setError] = useState<string | undefined>();

  const load = () =>
    Promise.all([notifyApi.contactPoints(), notifyApi.policies()]).then(
      ([cps, ps]) => { setPoints(cps); setPolicies(ps); setError(undefined); },
      (e) => setError(message(e)),
    );
  useEffect(() => {
    void load();
    const t = window.setInterval(load, 15_000);
    return () => window.clearInterval(t);
  }, []);

  const test = async (cp: ContactPoint) => {
    try {
      const r = await notifyApi.testContactPoint(cp.id);
      session.toasts.show(r.delivered ? `Test sent to ${cp.name}.` : `Test to ${cp.name} failed: ${r.error ?? r.status}`, r.delivered ? 'ok' : 'error');
      void load();
    } catch (e) {
      session.toasts.show(`Could not test ${cp.name}: ${message(e)}`, 'error');
    }
  };
  const remove = async (what: 'contact point' | 'policy', id: string) => {
    try {
      await (what === 'policy' ? notifyApi.deletePolicy(id) : notifyApi.deleteContactPoint(id));
      void load();
    } catch (e) {
      session.toasts.show(`Could not delete the ${what}: ${message(e)}`, 'error');
    }
  };
  const nameOf = (id: string) => points.find((p) => p.id === id)?.name ?? id;

  return (
    <div class="page notifications">
      <div class="page-head">
        <h1>Notifications</h1>
        <span class="muted">Who is told of an alert when nobody is watching: webhooks and email, reminders and escalation.</span>
      </div>
      {error && <div class="form-error pad">{error}</div>}
      <section class="panel">
        <h2 class="panel-title">Contact points</h2>
        {points.length === 0 ? <div class="muted pad">No contact points yet.</div> : (
          <table class="table contact-points-table">
            <thead><tr><th>Name</th><th>Kind</th><th>Sends to</th><th>State</th>{isAdmin && <th />}</tr></thead>
            <tbody>
              {points.map((cp) => (
                <tr key={cp.id} data-contact-point-id={cp.id}>
                  <td>{cp.name}<div class="muted small mono">{cp.id}</div></td>
                  <td>{cp.kind}{cp.kind === 'webhook' && <div class="muted small">{cp.format}{cp.secretSet ? ', signed' : ''}</div>}</td>
                  <td class="mono small">{cp.kind === 'webhook' ? cp.url : cp.to?.join(', ')}</td>
                  <td>{cp.disabled
                    ? <span class="state state-firing" data-testid="cp-disabled" title={cp.disabledReason ?? ''}>disabled: {cp.disabledReason}</span>
                    : <span class="state state-resolved">active</span>}</td>
                  {isAdmin && (
                    <td class="col-actions">
                      <button class="btn btn-sm" data-action="test-contact-point" onClick={() => void test(cp)}>Send a test</button>{' '}
                      <button class="btn btn-sm btn-ghost" data-action="delete-contact-point" onClick={() => void remove('contact point', cp.id)}>Delete</button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {isAdmin && <ContactPointForm onCreated={load} />}
      </section>
      <section class="panel">
        <h2 class="panel-title">Policies</h2>
        {policies.length === 0 ? <div class="muted pad">No policies: no alert is sent anywhere.</div> : (
          <table class="table policies-table">
            <thead><tr><th>Name</th><th>Alerts</th><th>Tell</th><th>On</th><th>Repeat / escalate</th>{isAdmin && <th />}</tr></thead>
            <tbody>
              {policies.map((p) => (
                <tr key={p.id} data-policy-id={p.id}>
                  <td>{p.name}</td>
                  <td>{Object.entries(p.match).map(([k, v]) => <span class="tag" key={k}>{k} = {Array.isArray(v) ? v.join('|') : v}</span>)}{Object.keys(p.match).length === 0 && <span class="muted">all</span>}</td>
                  <td>{p.contactPoints.map(nameOf).join(', ')}</td>
                  <td>{p.on.join(', ')}</td>
                  <td class="small">
                    {p.repeatEvery && <div>every {p.repeatEvery} while not acknowledged</div>}
                    {p.escalate && <div>after {p.escalate.after}: {p.escalate.contactPoints.map(nameOf).join(', ')}</div>}
                  </td>
                  {isAdmin && <td class="col-actions"><button class="btn btn-sm btn-ghost" data-action="delete-policy" onClick={() => void remove('policy', p.id)}>Delete</button></td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {isAdmin && <PolicyForm points={points} onCreated={load} />}
      </section>
    </div>
  );
}

function ContactPointForm({ onCreated }: { onCreated(): void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'webhook' | 'email'>('webhook');
  const [target, setTarget] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('citysense');
  const [secret, setSecret] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const body = kind === 'webhook' ? { name, kind, url: target.trim(), format } : { name, kind, to: target.split(/[\s,]+/).filter(Boolean) };
      const created = await notifyApi.createContactPoint(body);
      setSecret(created.secret);
      setName('');
      setTarget('');
      onCreated();
    } catch (err) {
      setError(message(err));
    }
  };

  return (
    <form class="form-grid pad contact-point-form" onSubmit={submit}>
      <label>Name<input value={name} required onInput={(e) => setName(e.currentTarget.value)} /></label>
      <label>Kind
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value as 'webhook' | 'email')}>
          <option value="webhook">webhook</option>
          <option value="email">email</option>
        </select>
      </label>
      <label>{kind === 'webhook' ? 'URL' : 'Addresses'}<input name="target" value={target} required onInput={(e) => setTarget(e.currentTarget.value)} /></label>
      {kind === 'webhook' && (
        <label>Format
          <select value={format} onChange={(e) => setFormat(e.currentTarget.value as WebhookFormat)}>
            <option value="citysense">citysense</option>
            <option value="alertmanager">Alertmanager</option>
            <option value="slack">Slack</option>
          </select>
        </label>
      )}
      <button class="btn" type="submit" data-action="create-contact-point">Add contact point</button>
      {error && <div class="form-error">{error}</div>}
      {secret && <div class="notice" data-testid="new-secret">Signing secret (shown only now): <code>{secret}</code></div>}
    </form>
  );
}

function PolicyForm({ points, onCreated }: { points: ContactPoint[]; onCreated(): void }) {
  const [name, setName] = useState('');
  const [severity, setSeverity] = useState<Severity[]>(['critical']);
  const [district, setDistrict] = useState('');
  const [tell, setTell] = useState<string[]>([]);
  const [repeatEvery, setRepeat] = useState('');
  const [after, setAfter] = useState('');
  const [escalateTo, setEscalateTo] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      await notifyApi.createPolicy({
        name, contactPoints: tell,
        match: { ...(severity.length ? { severity } : {}), ...(district.trim() ? { district: district.trim() } : {}) },
        ...(repeatEvery.trim() ? { repeatEvery: repeatEvery.trim() } : {}),
        ...(after.trim() ? { escalate: { after: after.trim(), contactPoints: escalateTo } } : {}),
      });
      setName('');
      onCreated();
    } catch (err) {
      setError(message(err));
    }
  };

  return (
    <form class="form-grid pad policy-form" onSubmit={submit}>
      <label>Name<input name="policy-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} /></label>
      <fieldset><legend>Severities</legend>
        {SEVERITIES.map((s) => <label class="inline-label" key={s}><input type="checkbox" checked={severity.includes(s)} onChange={() => setSeverity(toggle(severity, s))} /> {s}</label>)}
      </fieldset>
      <label>District<input value={district} placeholder="any" onInput={(e) => setDistrict(e.currentTarget.value)} /></label>
      <fieldset><legend>Tell</legend>
        {points.map((p) => <label class="inline-label" key={p.id}><input type="checkbox" data-tell={p.id} checked={tell.includes(p.id)} onChange={() => setTell(toggle(tell, p.id))} /> {p.name}</label>)}
      </fieldset>
      <label>Repeat every<input value={repeatEvery} placeholder="e.g. 15m" onInput={(e) => setRepeat(e.currentTarget.value)} /></label>
      <label>Escalate after<input value={after} placeholder="e.g. 10m" onInput={(e) => setAfter(e.currentTarget.value)} /></label>
      {after.trim() && (
        <fieldset><legend>Escalate to</legend>
          {points.map((p) => <label class="inline-label" key={p.id}><input type="checkbox" checked={escalateTo.includes(p.id)} onChange={() => setEscalateTo(toggle(escalateTo, p.id))} /> {p.name}</label>)}
        </fieldset>
      )}
      <button class="btn" type="submit" data-action="create-policy">Add policy</button>
      {error && <div class="form-error" data-testid="policy-error">{error}</div>}
    </form>
  );
}
