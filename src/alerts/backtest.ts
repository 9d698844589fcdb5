// What a rule would have raised over stored history (docs/contract.md 10): every matching device's readings, read a
// page at a time, through DeviceBacktest. Reads the reading store and the registry only; touches no live state.
import { AppError, matches, type Catalog, type Rule, type RuleMatch } from '../core/index.js';
import type { Device, DeviceFilter, ReadingStore, StoredReading } from '../storage/index.js';
import { DeviceBacktest, type BacktestAlert } from './backtest-device.js';
import type { MatchedDevice } from './evaluate.js';
import { compileRule } from './rule-index.js';
import { checkRule, toRule, type RuleInput } from './rule-schema.js';

/** At most this many readings are read by one backtest unless configured otherwise. */
export const BACKTEST_MAX_READINGS = 1_000_000;
/** At most this many alerts are answered (`truncated` says when there were more). */
export const BACKTEST_MAX_ALERTS = 10_000;
const PAGE = 5000;
const DEVICE_PAGE = 1000;

export interface BacktestDeps {
  catalog: Catalog;
  readings: Pick<ReadingStore, 'scan' | 'countRange'>;
  devices: { list(filter?: DeviceFilter): Device[] };
  maxReadings?: number;
}

export interface BacktestRequest {
  rule: Rule;
  from: number;
  to: number;
  /** Narrows the rule's own match (both apply). */
  match?: RuleMatch;
}

export interface BacktestDeviceCount {
  deviceId: string;
  district: string | null;
  readings: number;
  alerts: number;
}

export interface BacktestResult {
  alerts: BacktestAlert[];
  /** Per device with readings in the range: how many it had and how many alerts it would have raised. */
  devices: BacktestDeviceCount[];
  /** Readings read in all. */
  readings: number;
  truncated: boolean;
}

export interface Backtester {
  run(req: BacktestRequest): Promise<BacktestResult>;
}

/** One device's share of a backtest, in memory: for the offline CLI (a recording instead of the store). */
export function backtestReadings(
  catalog: Catalog, rule: Rule, device: MatchedDevice, readings: readonly StoredReading[], to: number,
): BacktestAlert[] {
  const sensor = catalog.get(device.domain, device.type);
  if (!sensor || !rule.enabled || !matches(rule.match, device)) return [];
  const cr = compileRule(rule);
  if (!cr.noData && !sensor.metrics.has(rule.metric!)) return [];
  const run = new DeviceBacktest(cr, device, sensor);
  run.feed([...readings].sort((a, b) => a.ts - b.ts));
  return run.end(to);
}

/** A draft rule (not saved) checked against the catalog as a saved one is; a 400 names the field under `field`. */
export function draftRule(catalog: Catalog, input: RuleInput, field = 'rule', now = Date.now()): Rule {
  try {
    checkRule(catalog, input);
  } catch (err) {
    if (err instanceof AppError && err.message.startsWith('body ')) throw new AppError('bad_request', `body ${field}.${err.message.slice(5)}`);
    throw err;
  }
  return toRule(input, input.id ?? 'draft', now);
}

/** Builds the backtester over the reading store and the device registry. */
export function createBacktester(deps: BacktestDeps): Backtester {
  const maxReadings = deps.maxReadings ?? BACKTEST_MAX_READINGS;

  /** The registered devices that both the rule and the request's match cover, and whose type has the rule's metric. */
  function devicesFor(rule: Rule, match: RuleMatch): MatchedDevice[] {
    const noData = rule.condition.op === 'no_data';
    const out: MatchedDevice[] = [];
    const filter: DeviceFilter = { domain: match.domain ?? rule.match.domain, type: match.type ?? rule.match.type, district: match.district ?? rule.match.district };
    for (let after: string | undefined; ;) {
      const page = deps.devices.list({ ...filter, after, limit: DEVICE_PAGE });
      for (const d of page) {
        const m: MatchedDevice = { deviceId: d.id, domain: d.domain, type: d.type, district: d.district ?? null };
        if (!matches(rule.match, m) || !matches(match, m)) continue;
        const sensor = deps.catalog.get(d.domain, d.type);
        if (sensor && (noData || sensor.metrics.has(rule.metric!))) out.push(m);
      }
      if (page.length < DEVICE_PAGE) return out;
      after = page[page.length - 1]!.id;
    }
  }

  async function run(req: BacktestRequest): Promise<BacktestResult> {
    const { rule, from, to } = req;
    if (to <= from) throw new AppError('bad_request', 'body to: must be after from');
    const result: BacktestResult = { alerts: [], devices: [], readings: 0, truncated: false };
    if (!rule.enabled) return result; // a disabled rule raises nothing, live or here
    const cr = compileRule(rule);
    const devices = devicesFor(rule, req.match ?? {});
    // Counted first, so that a range too large is refused before anything is read.
    let total = 0;
    for (const d of devices) {
      total += await deps.readings.countRange(d.deviceId, from, to);
      if (total > maxReadings) {
        throw new AppError('bad_request', `the range holds more than ${maxReadings} readings of the ${devices.length} matching devices: narrow from/to, or match (deviceId, district, type)`);
      }
    }
    for (const d of devices) {
      const backtest = new DeviceBacktest(cr, d, deps.catalog.get(d.domain, d.type)!);
      for (let start = from; ;) {
        const page = await deps.readings.scan({ deviceId: d.deviceId, from: start, to, limit: PAGE });
        backtest.feed(page);
        if (page.length < PAGE) break;
        start = page[page.length - 1]!.ts + 1;
      }
      const alerts = backtest.end(to);
      result.readings += backtest.readings;
      if (backtest.readings > 0) result.devices.push({ deviceId: d.deviceId, district: d.district, readings: backtest.readings, alerts: alerts.length });
      for (const a of alerts) {
        if (result.alerts.length < BACKTEST_MAX_ALERTS) result.alerts.push(a);
        else result.truncated = true;
      }
    }
    result.alerts.sort((a, b) => a.firedAt - b.firedAt || a.deviceId.localeCompare(b.deviceId));
    return result;
  }

  return { run };
}
