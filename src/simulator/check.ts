// The end-of-run check (`simulate --scenario … --check`): the alerts raised during the run, read back through the
// API, against the scenario's `expectedAlerts`, by rule, with the districts they were raised in.
import type { Scenario } from './scenario.js';

/** One rule's line of the comparison. */
export interface AlertCheckRow {
  rule: string;
  expected: boolean;
  /** Alerts raised during the run on the fleet's devices, per district. */
  raised: Record<string, number>;
}

export interface AlertCheck {
  rows: AlertCheckRow[];
  /** Expected rules that raised nothing, and rules that raised alerts the scenario does not expect. */
  missing: string[];
  unexpected: string[];
  ok: boolean;
}

/** The API could not be asked for the alerts raised. */
export class AlertCheckError extends Error {
  override name = 'AlertCheckError';
}

interface RaisedAlert { ruleName: string; deviceId: string; district: string | null; firedAt: string }

/** Alerts fired since `since` (epoch ms) on the given devices, every page of `GET /api/alerts`. */
export async function fetchRaisedAlerts(api: string, token: string, since: number, deviceIds: ReadonlySet<string>): Promise<RaisedAlert[]> {
  const out: RaisedAlert[] = [];
  for (let cursor: string | undefined; ;) {
    const url = new URL('/api/alerts', api);
    url.searchParams.set('from', new Date(since).toISOString());
    url.searchParams.set('limit', '1000');
    if (cursor) url.searchParams.set('cursor', cursor);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
    } catch (e) {
      throw new AlertCheckError(`cannot read the alerts raised from ${api}: ${(e as Error).message}`);
    }
    if (res.status !== 200) throw new AlertCheckError(`reading the alerts raised: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    const page = (await res.json()) as { items: RaisedAlert[]; nextCursor?: string };
    for (const a of page.items) if (deviceIds.has(a.deviceId)) out.push(a);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

/** Compares the alerts raised with the scenario's expected ones, by rule. */
export function checkAlerts(scenario: Scenario, raised: readonly RaisedAlert[]): AlertCheck {
  const rows = new Map<string, AlertCheckRow>();
  for (const e of scenario.expectedAlerts) rows.set(e.rule, { rule: e.rule, expected: true, raised: {} });
  for (const a of raised) {
    let row = rows.get(a.ruleName);
    if (!row) rows.set(a.ruleName, (row = { rule: a.ruleName, expected: false, raised: {} }));
    const district = a.district ?? '(none)';
    row.raised[district] = (row.raised[district] ?? 0) + 1;
  }
  const list = [...rows.values()];
  const count = (r: AlertCheckRow) => Object.values(r.raised).reduce((n, v) => n + v, 0);
  const missing = list.filter((r) => r.expected && count(r) === 0).map((r) => r.rule);
  const unexpected = list.filter((r) => !r.expected).map((r) => r.rule);
  return { rows: list, missing, unexpected, ok: missing.length === 0 && unexpected.length === 0 };
}

/** The comparison as lines for the summary. */
export function formatCheck(c: AlertCheck): string {
  if (c.rows.length === 0) return 'alerts: none expected, none raised';
  const lines = ['alerts (rule: expected / raised, by district):'];
  for (const r of c.rows) {
    const by = Object.entries(r.raised).sort(([a], [b]) => a.localeCompare(b)).map(([d, n]) => `${d} ${n}`).join(', ');
    const mark = r.expected ? (by ? 'ok' : 'MISSING') : 'UNEXPECTED';
    lines.push(`  ${r.rule}: ${r.expected ? 'expected' : 'not expected'} / ${by || 'none'}  ${mark}`);
  }
  if (!c.ok) lines.push(`mismatch: ${[...c.missing.map((m) => `${m} not raised`), ...c.unexpected.map((u) => `${u} not expected`)].join('; ')}`);
  return lines.join('\n');
}
