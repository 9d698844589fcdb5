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

/** Reads and checks a rule file (a rule body of docs/contract.md 5.1). */
export function readRuleFile(file: string, catalog: Catalog) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BacktestUsageError(`--rule ${file}: ${(e as Error).message}`);
  }
  const parsed = ruleInputSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BacktestUsageError(`--rule ${file}: ${issue.path.join('.') || 'rule'}: ${issue.message}`);
  }
  try {
    return draftRule(catalog, parsed.data, 'rule');
  } catch (e) {
    if (e instanceof AppError) throw new BacktestUsageError(`--rule ${file}: ${e.message.replace(/^body rule\./, '')}`);
    throw e;
  }
}

/** Runs a rule over a recording: each device's recorded readings, in event time, through the engine's state machine. */
export async function backtestRecording(catalog: Catalog, ruleFile: string, recordingFile: string): Promise<OfflineResult> {
  const rule = readRuleFile(ruleFile, catalog);
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
  const result: OfflineResult = { rule: rule.name, alerts: [], devices: [], readings: 0, refused };
  for (const d of header.devices) {
    const readings = byDevice.get(d.id) ?? [];
    const alerts = backtestReadings(catalog, rule, { deviceId: d.id, domain: d.domain, type: d.type, district: d.district ?? null }, readings, end + 1);
    if (readings.length > 0) result.devices.push({ deviceId: d.id, district: d.district ?? null, readings: readings.length, alerts: alerts.length });
    result.readings += readings.length;
    result.alerts.push(...alerts);
  }
  result.alerts.sort((a, b) => a.firedAt - b.firedAt || a.deviceId.localeCompare(b.deviceId));
  return result;
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
