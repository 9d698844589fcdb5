// The alert engine's one state object: what it was given (catalog, stores, registry, clock, log, metrics) and
// what it holds in memory (compiled rules, devices with their (rule, device) pairs, open alerts, what is yet to be
// written). Every part of the engine (readings, pending, transitions, sweep, rules, ...) works on this object.
import type { Alert, Catalog, Logger } from '../core/index.js';
import type { AlertStores } from '../storage/index.js';
import { createAlertMetrics, type AlertMetrics } from './metrics.js';
import type { MatchedDevice } from './evaluate.js';
import type { CompiledRule } from './rule-index.js';
import { createSilenceBook, type SilenceBook } from './silences.js';
import type { AlertDeviceLookup, AlertDeviceStatus, AlertEngineDeps, TransitionListener } from './types.js';

/** A `for` condition holding but not yet for long enough. */
export interface Pending {
  kind: 'pending';
  ruleId: string;
  since: number;
  /** The newest breaching value (what a timer fires with) and its reading's event time. */
  value: number;
  lastAt: number;
  /** Wall-clock time its timer fires at (persisted, so a restart keeps it). */
  dueAt: number;
  timer?: NodeJS.Timeout;
}

/** A (rule, device) pair that is not idle. */
export interface RuleState {
  alertId?: number;
  pending?: Pending;
  /** Its alert was resolved by hand: no new episode until the clear condition holds (for no_data: data again). */
  held?: true;
}

export interface DeviceState extends MatchedDevice {
  registered: boolean;
  infoAt: number;
  lastTs: number;
  /** Only (rule, device) pairs that are pending, open or held: idle ones take no memory. */
  rules: Map<string, RuleState>;
}

/** What a device is known as when its state is made: a reading's device, an open alert's, or a stored watermark. */
export interface DeviceOrigin extends MatchedDevice {
  /** From a watermark: what was remembered across the restart. */
  registered?: boolean;
  lastTs?: number;
}

/** The one constructor of a device's state: nothing seen yet unless the origin (a watermark) says otherwise. */
export function newDeviceState(o: DeviceOrigin): DeviceState {
  return {
    deviceId: o.deviceId, domain: o.domain, type: o.type, district: o.district, registered: o.registered ?? false, infoAt: 0,
    lastTs: o.lastTs ?? 0, rules: new Map(),
  };
}

/** Writes held back and done in one transaction every `flushIntervalMs` (write-behind.ts). */
export interface Dirty {
  alerts: Set<number>;
  devices: Set<DeviceState>;
  /** Pending conditions whose newest value is not written yet (written with the last values, in one transaction). */
  pending: Map<Pending, DeviceState>;
}

export interface EngineState {
  readonly catalog: Catalog;
  readonly store: AlertStores;
  readonly registry: AlertDeviceLookup;
  readonly log: Logger;
  readonly now: () => number;
  readonly metrics: AlertMetrics;
  /** Device status: lastSeen, goodbyes and the definition of stale are its, not the engine's. */
  readonly status: AlertDeviceStatus;
  compiled: Map<string, CompiledRule>;
  /** Enabled value rules by `domain/type`, and enabled `no_data` rules (rule-index.ts). */
  byType: Map<string, CompiledRule[]>;
  noDataRules: CompiledRule[];
  devices: Map<string, DeviceState>;
  open: Map<number, Alert>;
  listeners: Set<TransitionListener>;
  dirty: Dirty;
  book: SilenceBook;
  started: boolean;
  pendingCount: number;
  silenceTimer?: NodeJS.Timeout;
}

/** setTimeout's longest delay (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The engine's state before start(): no rules, devices or alerts yet; its metrics read it from now on. */
export function createEngineState(deps: AlertEngineDeps): EngineState {
  const s: EngineState = {
    catalog: deps.catalog, store: deps.store, registry: deps.devices, log: deps.log, now: deps.now ?? Date.now, status: deps.status,
    metrics: createAlertMetrics(deps.metrics, {
      active() {
        const counts = new Map<string, number>([['info', 0], ['warning', 0], ['critical', 0]]);
        for (const a of s.open.values()) counts.set(a.severity, (counts.get(a.severity) ?? 0) + 1);
        return counts;
      },
      pending: () => s.pendingCount,
      rules: () => [...s.compiled.values()].filter((c) => c.rule.enabled).length,
    }),
    compiled: new Map(), byType: new Map(), noDataRules: [], devices: new Map(), open: new Map(), listeners: new Set(),
    dirty: { alerts: new Set(), devices: new Set(), pending: new Map() }, book: createSilenceBook([]),
    started: false, pendingCount: 0,
  };
  return s;
}

/** The device's state, made from `o` when the engine has none yet. */
export function deviceOf(s: EngineState, o: DeviceOrigin): DeviceState {
  let ds = s.devices.get(o.deviceId);
  if (!ds) {
    ds = newDeviceState(o);
    s.devices.set(o.deviceId, ds);
  }
  return ds;
}
