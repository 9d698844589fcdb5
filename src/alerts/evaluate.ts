// The per-(rule, device) state machine, free of persistence, timers and pushes: the live engine and the backtest
// both decide with these functions, and each carries out the decision its own way (store and Socket.IO, or a list).
import { staleLimitMs, type Reading, type SensorType } from '../core/index.js';
import type { CompiledRule } from './rule-index.js';

/** Where a (rule, device) pair stands; idle pairs have no state. */
export type PairState =
  | { kind: 'pending'; since: number; value: number; lastAt: number }
  | { kind: 'open' }
  | { kind: 'held' };

/** What one value of the rule's metric does to a pair. */
export type Step =
  | { do: 'none' }
  /** held → idle: the clear condition holds again after a manual resolve. */
  | { do: 'release' }
  /** open → idle. */
  | { do: 'resolve'; at: number; value: number }
  /** open stays open, with a new last value. */
  | { do: 'update'; at: number; value: number }
  /** pending → idle: a reading that does not breach. */
  | { do: 'cancel' }
  /** idle → pending (`for` starts). */
  | { do: 'start'; since: number; value: number }
  /** pending stays pending, with the newest breaching value. */
  | { do: 'extend'; at: number; value: number }
  /** idle or pending → open; `lastAt` is the event time of the reading `value` came from. */
  | { do: 'fire'; at: number; value: number; lastAt: number };

const NONE: Step = { do: 'none' };

/**
 * A reading's time for evaluation: its own, but never later than its receive time. A device clock ahead of the
 * platform (up to 5 min is accepted) or one stepped back by NTP would otherwise move the device's watermark
 * into the future, and every reading after it would be skipped as out of order until real time caught up.
 */
export const eventTime = (r: Pick<Reading, 'ts' | 'receivedAt'>): number => (r.ts < r.receivedAt ? r.ts : r.receivedAt);

/** The batch in event-time order (a stable sort keeps spool order for equal times); the same array when already sorted. */
export function inEventOrder<R extends Pick<Reading, 'ts' | 'receivedAt'>>(readings: readonly R[]): readonly R[] {
  for (let i = 1; i < readings.length; i++) {
    if (eventTime(readings[i]!) < eventTime(readings[i - 1]!)) return [...readings].sort((a, b) => eventTime(a) - eventTime(b));
  }
  return readings;
}

/** The value a rule reads from a reading (booleans as 1 and 0), or undefined when the reading lacks its metric. */
export function valueFor(cr: CompiledRule, values: Reading['values']): number | undefined {
  const raw = values[cr.rule.metric!];
  if (raw === undefined) return undefined;
  return typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
}

/** What a device is, as far as a rule's match goes (core's `matches(rule.match, device)`). */
export interface MatchedDevice {
  deviceId: string;
  domain: string;
  type: string;
  district: string | null;
}

/** How long a device may be silent before a `no_data` rule fires: its `for`, or 3 catalog intervals. */
export const noDataLimitMs = (cr: CompiledRule, sensor: SensorType): number => staleLimitMs(sensor.intervalMs, cr.forMs);

/** When a pending `for` fires without a further reading: its first breach's event time + `for`. */
export const pendingDueAt = (cr: CompiledRule, since: number): number => since + cr.forMs;

/**
 * A pending `for` that fell due before event time `ts`: it fired at its due time, before the reading at `ts` counts
 * (which then meets the open alert: it may resolve it). The backtest fires it as event time passes it; the
 * live engine's timer is wall-clock and set when the first reading was evaluated, so a later reading evaluated
 * promptly can come first. Both fire it here, so that neither that reading's time nor a value of it that does not
 * breach changes the episode.
 */
export const overdue = (cr: CompiledRule, st: PairState | undefined, ts: number): st is Extract<PairState, { kind: 'pending' }> =>
  st?.kind === 'pending' && pendingDueAt(cr, st.since) < ts;

/**
 * One value of the rule's metric at event time `ts` against the pair's state. Hysteresis applies to resolving an
 * open alert only; `for` means the condition held at every reading (any reading that does not breach cancels it).
 */
export function step(cr: CompiledRule, st: PairState | undefined, v: number, ts: number): Step {
  if (st?.kind === 'held') {
    // Resolved by hand during a breach: the breach that goes on is the same episode, not a new one.
    return cr.clear(v) ? { do: 'release' } : NONE;
  }
  if (st?.kind === 'open') return cr.clear(v) ? { do: 'resolve', at: ts, value: v } : { do: 'update', at: ts, value: v };
  const breach = cr.fire(v);
  if (st?.kind === 'pending') {
    if (!breach) return { do: 'cancel' };
    return ts - st.since >= cr.forMs ? { do: 'fire', at: ts, value: v, lastAt: ts } : { do: 'extend', at: ts, value: v };
  }
  if (!breach) return NONE;
  return cr.forMs === 0 ? { do: 'fire', at: ts, value: v, lastAt: ts } : { do: 'start', since: ts, value: v };
}
