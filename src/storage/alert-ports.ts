// Ports for the alert engine's state: rules, alerts with their transitions, silences, and the engine's own
// bookkeeping (pending `for` timers, per-device watermarks). SQLite in both modes; synchronous, as
// better-sqlite3 is, so that a transition and the notification it causes happen in one turn of the loop.
// What they keep (Rule, Alert, Silence, ...) is core's alert vocabulary (core/alert-types.ts).
import type { Alert, AlertEvent, AlertQuery, NewAlert, Rule, Silence, Transition, TransitionInput } from '../core/index.js';

/** Runs inside a transition's transaction (AlertStore.setRecordHook). */
export type RecordHook = (event: AlertEvent) => void;

export interface AlertStore {
  /** Inserts a new alert and its `fired` transition atomically; returns it with its id and eventId. */
  open(alert: NewAlert, transition: TransitionInput): Alert;
  /** Writes the alert's changed fields and one transition atomically; returns the alert with its new eventId. */
  transition(alert: Alert, transition: TransitionInput): Alert;
  get(id: number): Alert | undefined;
  transitions(alertId: number): Transition[];
  /** Newest first (id descending): a page never repeats or skips an alert while new ones are inserted. */
  list(filter: AlertQuery): Alert[];
  /** Every alert not yet resolved, oldest first. */
  active(): Alert[];
  /** Transitions with eventId above `after`, in eventId order, at most `limit`. */
  eventsAfter(after: number, limit: number): AlertEvent[];
  /**
   * Sets the hook run inside the transaction of every recorded transition (`open` and `transition`), after the
   * transition is written: what it writes commits with the transition, and if it throws, the transition is
   * rolled back too (the notification outbox is written this way). One hook; `undefined` removes it.
   */
  setRecordHook(hook: RecordHook | undefined): void;
  /** Stores the newest value seen for open alerts (written in batches, not per reading). */
  updateLastValues(updates: readonly { id: number; lastValue: number | null; lastValueAt: number | null }[]): void;
}

export interface RuleStore {
  /** In creation order. */
  list(): Rule[];
  get(id: string): Rule | undefined;
  /** Throws AppError `conflict` when the id exists. */
  create(rule: Rule): Rule;
  /** Replaces a rule; false when it does not exist. */
  update(rule: Rule): boolean;
  delete(id: string): boolean;
  /**
   * Inserts each of `rules` (the built-in ones) whose id this database has never been offered, and records every id
   * of `rules` as offered: a built-in rule an admin deleted is not added again, and one an admin edited (or any rule
   * with that id) is not overwritten. A database seeded before ids were recorded takes `seededBefore` as offered.
   * Returns the rules inserted, in order.
   */
  seedBuiltins(rules: readonly Rule[], seededBefore: readonly string[]): Rule[];
}

export interface SilenceStore {
  /** Ordered by `from`. */
  list(): Silence[];
  get(id: string): Silence | undefined;
  create(silence: Silence): Silence;
  delete(id: string): boolean;
}

/** A `for` condition that has started to hold but has not yet held long enough. */
export interface PendingState {
  ruleId: string;
  deviceId: string;
  /** Event time of the first breaching reading. */
  since: number;
  /** The newest breaching value and its reading's event time. */
  value: number;
  lastAt: number;
  /** Wall-clock time at which its timer fires if no reading decides first. */
  dueAt: number;
}

/** What the engine remembers of a device between restarts. */
export interface DeviceWatermark {
  deviceId: string;
  domain: string;
  type: string;
  district: string | null;
  /** Newest event time evaluated: older readings cause no transitions. */
  lastTs: number;
  /** The device registry knew it: when the registry no longer does, it was deleted. */
  registered: boolean;
}

export interface AlertStateStore {
  pending(): PendingState[];
  putPending(p: PendingState): void;
  /** Writes many in one transaction (a pending condition's newest value, flushed with the last values). */
  putPendings(list: readonly PendingState[]): void;
  deletePending(ruleId: string, deviceId: string): void;
  watermarks(): DeviceWatermark[];
  putWatermarks(marks: readonly DeviceWatermark[]): void;
  deleteWatermark(deviceId: string): void;
  /** (rule, device) pairs resolved by hand whose clear condition has not held since: no new episode starts yet. */
  holds(): { ruleId: string; deviceId: string }[];
  putHold(ruleId: string, deviceId: string): void;
  deleteHold(ruleId: string, deviceId: string): void;
}

export interface AlertStores {
  alerts: AlertStore;
  rules: RuleStore;
  silences: SilenceStore;
  state: AlertStateStore;
}
