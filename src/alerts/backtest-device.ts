// One rule over one device's recorded readings, in event time, with the live engine's state machine (evaluate.ts).
// No store, no timer, no push: a `for` that the live engine's timer would fire fires here when event time passes
// its due time, and `no_data` fires from the gaps between readings.
import type { Alert, SensorType } from '../core/index.js';
import type { StoredReading } from '../storage/index.js';
import { eventTime, noDataLimitMs, overdue, pendingDueAt, step, valueFor, type MatchedDevice, type PairState } from './evaluate.js';
import type { CompiledRule } from './rule-index.js';

/**
 * One alert a backtest would have raised: the fields of a live alert (docs/contract.md 5.2) that history decides. Times are
 * epoch ms; `resolvedAt` null: still open at the range's end; `value` for `no_data`: the seconds of silence.
 */
export type BacktestAlert = Pick<
  Alert,
  'ruleId' | 'ruleName' | 'deviceId' | 'domain' | 'type' | 'district' | 'severity' | 'metric' | 'threshold' | 'value' | 'firedAt' | 'resolvedAt' | 'lastValue'
>;

/** Feeds one device's readings (oldest first, in as many pages as needed) and collects the alerts. */
export class DeviceBacktest {
  readonly alerts: BacktestAlert[] = [];
  readings = 0;
  private state: PairState | undefined;
  private openAlert: BacktestAlert | undefined;
  private lastTs = Number.NEGATIVE_INFINITY;
  /** Event time of the newest reading (no_data). */
  private lastSeen: number | undefined;
  private readonly limitMs: number;

  constructor(private readonly cr: CompiledRule, private readonly device: MatchedDevice, sensor: SensorType) {
    this.limitMs = noDataLimitMs(cr, sensor);
  }

  /** Evaluates readings in time order (a page of a scan); those older than the device's newest are skipped, as live. */
  feed(page: readonly StoredReading[]): void {
    for (const r of page) {
      this.readings++;
      const ts = eventTime(r);
      if (ts < this.lastTs) continue;
      this.lastTs = ts;
      if (this.cr.noData) this.gap(ts);
      else this.value(r, ts);
    }
  }

  /** The range ends at `to`: a `for` due before it fires, a silence longer than the limit fires. */
  end(to: number): BacktestAlert[] {
    const s = this.state;
    if (s?.kind === 'pending' && pendingDueAt(this.cr, s.since) < to) this.fire(pendingDueAt(this.cr, s.since), s.value, s.value);
    if (this.cr.noData && this.lastSeen !== undefined && this.openAlert === undefined && to - this.lastSeen > this.limitMs) {
      this.fire(this.lastSeen + this.limitMs, this.limitMs / 1000, null);
    }
    return this.alerts;
  }

  private value(r: StoredReading, ts: number): void {
    const s = this.state;
    // What the live engine's timer does without a further reading: fire at the first breach + `for`.
    if (overdue(this.cr, s, ts)) this.fire(pendingDueAt(this.cr, s.since), s.value, s.value);
    const v = valueFor(this.cr, r.values);
    if (v === undefined) return;
    const d = step(this.cr, this.state, v, ts);
    switch (d.do) {
      case 'none':
        return;
      case 'release':
      case 'cancel':
        this.state = undefined;
        return;
      case 'resolve':
        this.openAlert!.resolvedAt = d.at;
        this.openAlert!.lastValue = d.value;
        this.openAlert = undefined;
        this.state = undefined;
        return;
      case 'update':
        this.openAlert!.lastValue = d.value;
        return;
      case 'start':
        this.state = { kind: 'pending', since: d.since, value: d.value, lastAt: d.since };
        return;
      case 'extend':
        this.state = { kind: 'pending', since: (s as { since: number }).since, value: d.value, lastAt: d.at };
        return;
      case 'fire':
        this.fire(d.at, d.value, d.value);
    }
  }

  /** `no_data` in event time: a silence longer than the limit fires; the data that ends it resolves. */
  private gap(ts: number): void {
    const prev = this.lastSeen;
    if (prev !== undefined && ts - prev > this.limitMs) {
      this.fire(prev + this.limitMs, this.limitMs / 1000, null);
      this.openAlert!.resolvedAt = ts;
      this.openAlert = undefined;
      this.state = undefined;
    }
    this.lastSeen = ts;
  }

  private fire(at: number, value: number, lastValue: number | null): void {
    const { rule } = this.cr;
    const alert: BacktestAlert = {
      ruleId: rule.id, ruleName: rule.name, deviceId: this.device.deviceId, domain: this.device.domain, type: this.device.type,
      district: this.device.district, severity: rule.severity, metric: rule.metric ?? null, threshold: this.cr.noData ? this.limitMs / 1000 : this.cr.threshold,
      value, firedAt: at, resolvedAt: null, lastValue,
    };
    this.alerts.push(alert);
    this.openAlert = alert;
    this.state = { kind: 'open' };
  }
}
