// `citysense backtest --rule FILE.json --recording FILE.jsonl`: a rule over a simulator recording, no server, by
// the same code as POST /api/rules/backtest (the alert engine's state machine), the readings validated as ingest would.
import { readFileSync } from 'node:fs';
import { backtestReadings, draftRule, ruleInputSchema, type BacktestAlert } from '../alerts/index.js';
import { AppError, type Catalog } from '../core/index.js';
import { checkMessage } from '../ingest/index.js';
import { openRecording, type RecordedMessage } from '../simulator/index.js';
import type { StoredReading } from '../storage/index.js';

/** A rule file or recording that cannot be used: a usage error (exit status 2). */
export class BacktestUsageError extends Error {
  override name = 'BacktestUsageError';
}

export interface OfflineResult {
  rule: string;
  alerts: BacktestAlert[];
  devices: { deviceId: string; district: string | null; readings: number; alerts: number }[];
  readings: number;
  /** Recorded messages validation refused (faults the scenario injected), by reason. */
  refused: Record<string, number>;
}

/**
 * What GET /api/rules/{id} answers beside a rule's body: set by the server, never taken by POST /api/rules (its
 * schema is strict). A rule file copied from the API carries them; they are dropped, and a note says so. Kept equal to
 * the API's `Rule` schema minus `ruleInputSchema` by tests/testers/backtest-rule-file.test.ts.
 */
export const SERVER_SET_RULE_FIELDS = ['builtin', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy'] as const;

type DraftRule = ReturnType<typeof draftRule>;

/** The rules of a rule file, and the server-set fields that were dropped from them. */
export interface RuleFile {
  rules: DraftRule[];
  /** The file was a list (`{items: [...]}`). */
  list: boolean;
  ignored: string[];
}

/**
 * Reads and checks a rule file: a rule body (docs/contract.md 5.1), a rule as GET /api/rules/{id} or an item of
 * GET /api/rules answers it (server-set fields dropped), or the whole GET /api/rules answer `{items: [...]}` (every
 * rule, or the one `ruleId` names).
 */
export function readRuleFile(file: string, catalog: Catalog, ruleId?: string): RuleFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BacktestUsageError(`--rule ${file}: ${(e as Error).message}`);
  }
  const listed = isObject(json) && Array.isArray(json.items) && !('condition' in json) ? (json.items as unknown[]) : undefined;
  const list = listed !== undefined;
  let items = listed ? listed.map((value, i) => ({ value, at: `items.${i}.` })) : [{ value: json, at: '' }];
  if (list && items.length === 0) throw new BacktestUsageError(`--rule ${file}: items: the list holds no rule`);
  if (ruleId !== undefined) {
    items = items.filter(({ value }) => isObject(value) && value.id === ruleId);
    if (items.length === 0) throw new BacktestUsageError(`--rule-id ${ruleId}: ${list ? 'no rule of the list' : 'the rule'} in ${file} has that id`);
  }
  const ignored = new Set<string>();
  const rules = items.map(({ value, at }) => {
    const body = isObject(value) ? { ...value } : value;
    if (isObject(body)) {
      for (const k of SERVER_SET_RULE_FIELDS) if (k in body) { ignored.add(k); delete body[k]; }
    }
    const parsed = ruleInputSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BacktestUsageError(`--rule ${file}: ${at}${issue.path.join('.') || 'rule'}: ${issue.message}`);
    }
    try {
      return draftRule(catalog, parsed.data, 'rule');
    } catch (e) {
      if (e instanceof AppError) throw new BacktestUsageError(`--rule ${file}: ${at}${e.message.replace(/^body rule\./, '')}`);
      throw e;
    }
  });
  return { rules, list, ignored: SERVER_SET_RULE_FIELDS.filter((k) => ignored.has(k)) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A recording's readings per device, validated as ingest would, and its end. */
interface LoadedRecording {
  devices: { id: string; domain: string; type: string; district?: string | null }[];
  byDevice: Map<string, StoredReading[]>;
  refused: Record<string, number>;
  end: number;
}

async function loadRecording(catalog: Catalog, recordingFile: string): Promise<LoadedRecording> {
  let rec;
  try {
    rec = await openRecording(recordingFile);
  } catch (e) {
    throw new BacktestUsageError(`--recording: ${(e as Error).message}`);
  }
  const { header, lines } = rec;
  const fleet = new Map(header.devices.map((d) => [d.id, d]));
  const byDevice = new Map<string, StoredReading[]>();
  const refused: Record<string, number> = {};
  let end = header.startedAt;
  for await (const line of lines) {
    const at = header.startedAt + line.t;
    if (at > end) end = at;
    if (!('payload' in line)) continue;
    const m = line as RecordedMessage;
    const d = fleet.get(m.device);
    if (!d || m.topic.endsWith('/status')) continue;
    const checked = checkMessage(catalog, { deviceId: d.id, domain: d.domain, type: d.type, topic: m.topic, payload: Buffer.from(m.payload), qos: m.qos, receivedAt: at });
    if (!checked.ok) {
      refused[checked.reason] = (refused[checked.reason] ?? 0) + 1;
      continue;
    }
    let list = byDevice.get(d.id);
    if (!list) byDevice.set(d.id, (list = []));
    // The recording has no receive time: a reading's own timestamp stands for it (what a store gives back live).
    for (const r of checked.readings) list.push({ deviceId: d.id, ts: r.ts, receivedAt: Math.max(r.ts, r.receivedAt), values: r.values });
    if (checked.readings.length > 0) end = Math.max(end, ...checked.readings.map((r) => r.ts));
  }
  return { devices: header.devices, byDevice, refused, end };
}

/** One rule over a loaded recording: each device's readings, in event time, through the engine's state machine. */
function backtestLoaded(catalog: Catalog, rule: DraftRule, rec: LoadedRecording): OfflineResult {
  const result: OfflineResult = { rule: rule.name, alerts: [], devices: [], readings: 0, refused: rec.refused };
  for (const d of rec.devices) {
    const readings = rec.byDevice.get(d.id) ?? [];
    const alerts = backtestReadings(catalog, rule, { deviceId: d.id, domain: d.domain, type: d.type, district: d.district ?? null }, readings, rec.end + 1);
    if (readings.length > 0) result.devices.push({ deviceId: d.id, district: d.district ?? null, readings: readings.length, alerts: alerts.length });
    result.readings += readings.length;
    result.alerts.push(...alerts);
  }
  result.alerts.sort((a, b) => a.firedAt - b.firedAt || a.deviceId.localeCompare(b.deviceId));
  return result;
}

/**
 * Runs a rule file's rules (or the one `ruleId` names) over a recording, read once: one result per rule; `list` when
 * several were asked for (a GET /api/rules answer without `ruleId`), and the server-set fields that were ignored.
 */
export async function backtestRuleFile(catalog: Catalog, ruleFile: string, recordingFile: string, ruleId?: string): Promise<{ results: OfflineResult[]; list: boolean; ignored: string[] }> {
  const { rules, list, ignored } = readRuleFile(ruleFile, catalog, ruleId);
  const rec = await loadRecording(catalog, recordingFile);
  return { results: rules.map((rule) => backtestLoaded(catalog, rule, rec)), list: list && ruleId === undefined, ignored };
}

const iso = (t: number | null) => (t === null ? '—' : new Date(t).toISOString());

/** The summary table the CLI prints. */
export function formatOffline(r: OfflineResult): string {
  const out = [`rule: ${r.rule}`, `readings: ${r.readings} from ${r.devices.length} devices` +
    (Object.keys(r.refused).length ? `; refused by validation: ${Object.entries(r.refused).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''),
  `alerts: ${r.alerts.length}`];
  if (r.alerts.length > 0) {
    const rows = [['device', 'district', 'fired', 'resolved', 'value'], ...r.alerts.map((a) => [a.deviceId, a.district ?? '', iso(a.firedAt), iso(a.resolvedAt), String(a.value ?? '')])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    out.push('', ...rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()));
  }
  return out.join('\n');
}
