// Alert rules: everyone reads them and backtests a draft over the last day or week before it is saved; admins
// create, edit (the rule body as JSON, as POST /api/rules takes it) and enable or disable them.
import { useEffect, useState } from 'preact/hooks';
import { formatCondition, formatDateTime } from '../lib/format.js';
import { useSession } from '../lib/session.js';
import type { BacktestResult, NewRule, Rule } from '../types.js';
import { Table } from './table.js';

/** What the API returns that a body does not take back (PUT and POST refuse unknown keys). */
const READ_ONLY = ['builtin', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy'];
const TEMPLATE: NewRule = { name: 'new rule', match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 50 }, for: '0', severity: 'warning' };
const RANGES = [{ from: '-1d', label: 'last day' }, { from: '-7d', label: 'last week' }];

const bodyOf = (r: Rule): NewRule => Object.fromEntries(Object.entries(r).filter(([k]) => !READ_ONLY.includes(k))) as NewRule;
/** Who made the rule and who last changed it (built-in rules have no author). */
const creditText = (r: Rule) =>
  [r.createdBy ? `created by ${r.createdBy.name}` : r.builtin ? 'built in' : '', r.updatedBy ? `changed by ${r.updatedBy.name}${r.updatedAt ? ` ${formatDateTime(r.updatedAt)}` : ''}` : '']
    .filter(Boolean).join(' · ');
const matchText = (m: Rule['match']) => Object.entries(m ?? {}).map(([k, v]) => `${k} = ${v}`).join(', ') || 'all devices';

export function RulesPage() {
  const session = useSession();
  const isAdmin = session.principal.role === 'admin';
  const [rules, setRules] = useState<Rule[]>([]);
  const [editing, setEditing] = useState<{ id?: string; text: string } | undefined>();
  const [error, setError] = useState<string | undefined>();

  const load = () =>
    session.api.rules().then(
      (items) => {
        setRules(items);
        setError(undefined);
      },
      (e) => setError(e instanceof Error ? e.message : String(e)),
    );
  useEffect(() => void load(), []);

  const toggle = async (r: Rule) => {
    try {
      await session.api.updateRule(r.id, { ...bodyOf(r), enabled: !r.enabled });
      session.toasts.show(`${r.name} ${r.enabled ? 'disabled' : 'enabled'}.`);
      void load();
    } catch (e) {
      session.toasts.show(`Could not change ${r.name}: ${e instanceof Error ? e.message : e}`, 'error');
    }
  };

  return (
    <div class="page rules">
      <div class="page-head">
        <h1>Rules</h1>
        <span class="muted">{isAdmin ? 'Edit a rule or write a new one, and backtest it over recorded history before saving.' : 'Read the rules and backtest them over recorded history.'}</span>
        {isAdmin && <button class="btn btn-primary" data-action="new-rule" onClick={() => setEditing({ text: JSON.stringify(TEMPLATE, null, 2) })}>New rule</button>}
      </div>
      {error && <div class="form-error pad">{error}</div>}
      {editing && (
        <RuleEditor key={editing.id ?? 'new'} id={editing.id} initial={editing.text} editable={isAdmin}
          onClose={() => setEditing(undefined)} onSaved={() => { setEditing(undefined); void load(); }} />
      )}
      <section class="panel">
        <Table kind="rules-table" head={['Rule', 'Applies to', 'Condition', 'For', 'Severity', 'State', '']}>
            {rules.map((r) => (
              <tr key={r.id} data-rule-id={r.id}>
                <td>{r.name}<div class="muted small" data-testid="rule-credit">{creditText(r)}</div></td>
                <td>{matchText(r.match)}</td>
                <td>{r.metric ? `${r.metric} ` : ''}{formatCondition(r.condition)}</td>
                <td>{r.for}</td>
                <td><span class={`sev sev-${r.severity}`}>{r.severity}</span></td>
                <td data-testid="rule-state">{r.enabled ? 'enabled' : 'disabled'}</td>
                <td class="col-actions">
                  <button class="btn btn-sm" data-action="open-rule" onClick={() => setEditing({ id: r.id, text: JSON.stringify(bodyOf(r), null, 2) })}>{isAdmin ? 'Edit' : 'View'}</button>
                  {isAdmin && <button class="btn btn-sm" data-action="toggle-rule" onClick={() => void toggle(r)}>{r.enabled ? 'Disable' : 'Enable'}</button>}
                </td>
              </tr>
            ))}
        </Table>
      </section>
    </div>
  );
}

function RuleEditor({ id, initial, editable, onClose, onSaved }: { id?: string; initial: string; editable: boolean; onClose(): void; onSaved(): void }) {
  const session = useSession();
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ label: string; r: BacktestResult } | undefined>();

  // The JSON as written: the server checks it and answers a 400 naming the field.
  const parsed = (): NewRule | undefined => {
    try {
      return JSON.parse(text) as NewRule;
    } catch (e) {
      setError(`The rule is not valid JSON: ${e instanceof Error ? e.message : e}`);
      return undefined;
    }
  };
  const run = async (label: string, from: string) => {
    const rule = parsed();
    if (!rule) return;
    setBusy(true);
    setError(undefined);
    try {
      // The draft as written, not the saved rule: this is what it would have raised.
      const { id: _id, ...draft } = rule;
      setResult({ label, r: await session.api.backtest({ rule: draft, from, to: 'now' }) });
    } catch (e) {
      setResult(undefined);
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    const rule = parsed();
    if (!rule) return;
    setBusy(true);
    setError(undefined);
    try {
      if (id) await session.api.updateRule(id, rule);
      else await session.api.createRule(rule);
      session.toasts.show(`Rule ${String(rule.name)} saved.`);
      onSaved();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel rule-editor" data-testid="rule-editor">
      <div class="panel-head">
        <h2 class="panel-title">{id ? (editable ? `Edit ${id}` : id) : 'New rule'}</h2>
        <button class="btn btn-ghost btn-sm" onClick={onClose}>Close</button>
      </div>
      <textarea id="rule-json" class="rule-json" rows={14} spellcheck={false} readOnly={!editable} value={text}
        style={{ width: '100%', fontFamily: 'monospace', boxSizing: 'border-box' }}
        onInput={(e) => { setText(e.currentTarget.value); setResult(undefined); }} />
      {error && <div class="form-error" data-testid="rule-error">{error}</div>}
      <div class="form-actions" style={{ display: 'flex', gap: '0.5rem', margin: '0.5rem 0' }}>
        {RANGES.map((r) => (
          <button key={r.from} class="btn" data-action={`backtest${r.from}`} disabled={busy} onClick={() => void run(r.label, r.from)}>Backtest {r.label}</button>
        ))}
        {editable && <button class="btn btn-primary" data-action="save-rule" disabled={busy} onClick={() => void save()}>Save</button>}
      </div>
      {result && <BacktestView label={result.label} r={result.r} />}
    </section>
  );
}

function BacktestView({ label, r }: { label: string; r: BacktestResult }) {
  return (
    <div class="backtest" data-testid="backtest-result" data-alerts={r.alerts.length}>
      <p>
        Over the {label}: <strong>{r.alerts.length} alert{r.alerts.length === 1 ? '' : 's'}</strong> on{' '}
        {new Set(r.alerts.map((a) => a.deviceId)).size} of {r.devices.length} devices, from {r.readings} readings
        {r.truncated ? ' (more alerts than shown)' : ''}.
      </p>
      {r.alerts.length > 0 && (
        <table class="table">
          <thead><tr><th>Device</th><th>District</th><th>Fired</th><th>Resolved</th><th>Value</th></tr></thead>
          <tbody>
            {r.alerts.slice(0, 200).map((a) => (
              <tr key={`${a.deviceId}-${a.firedAt}`}>
                <td>{a.deviceId}</td><td>{a.district ?? ''}</td><td>{formatDateTime(a.firedAt)}</td>
                <td>{a.resolvedAt ? formatDateTime(a.resolvedAt) : 'still open'}</td><td>{a.value ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
