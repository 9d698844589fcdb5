// Ports for the alert engine's state: rules, alerts with their transitions, silences, and the engine's own
// bookkeeping (pending `for` timers, per-device watermarks). SQLite in both modes; synchronous, as
// better-sqlite3 is, so that a transition and the notification it causes happen in one turn of the loop.

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type ThresholdOp = '>' | '>=' | '<' | '<=';
export type RangeOp = 'inside' | 'outside';

/** A rule's condition (docs/contract.md 5.1); `clear` has the same form except `no_data`. */
export type Condition =
  | { op: ThresholdOp; value: number }
  | { op: RangeOp; low: number; high: number }
  | { op: 'no_data' };
export type ValueCondition = Exclude<Condition, { op: 'no_data' }>;

/**
 * Who did something: a signed-in person (`id` is their user id) or an API token (`id` is `token:{token id}`), with
 * the display name actions are shown credited to.
 */
export interface Credit {
  id: string;
  name: string;
}

export interface RuleMatch {
  domain?: string;
  type?: string;
  deviceId?: string;
  district?: string;
}

export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  match: RuleMatch;
  /** The metric the condition reads; absent for `no_data` rules (any reading counts as data). */
  metric?: string;
  condition: Condition;
  clear?: ValueCondition;
  /** A duration as written (`0`, `30s`, `5m`). */
  for: string;
  severity: Severity;
  message?: string;
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
  /** Who created it; absent or null for a built-in rule and for rules made before authors were recorded. */
  createdBy?: Credit | null;
  /** Who last changed it (an update, or disabling / enabling it); null until someone does. */
  updatedBy?: Credit | null;
}

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What a threshold was: a number, a range, or for `no_data` the silence allowed in seconds. */
export type Threshold = number | { low: number; high: number } | null;

/** One alert: one (rule, device) episode. Times are epoch ms. */
export interface Alert {
  id: number;
  ruleId: string;
  ruleName: string;
  deviceId: string;
  domain: string;
  type: string;
  district: string | null;
  metric: string | null;
  severity: Severity;
  state: AlertState;
  message: string;
  value: number | null;
  threshold: Threshold;
  firedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** The Credit id of who acknowledged it (absent on alerts recorded before ids were). */
  acknowledgedById?: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** The Credit id of who resolved it; null when the engine did. */
  resolvedById?: string | null;
  lastValue: number | null;
  lastValueAt: number | null;
  silenced: boolean;
  /** The eventId of this alert's latest transition. */
  eventId: number;
}

export type NewAlert = Omit<Alert, 'id' | 'eventId'>;

/** `unsilenced`: a silence that covered a still-open alert ended, so it is announced now. */
export const TRANSITION_KINDS = ['fired', 'acknowledged', 'resolved', 'unsilenced'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

export interface TransitionInput {
  kind: TransitionKind;
  at: number;
  value: number | null;
  /** `system` for the engine, else the display name of the person or API token. */
  actor: string;
  /** The Credit id of the person or token; null (or absent) for the engine. */
  actorId?: string | null;
  note?: string;
}

export interface Transition extends TransitionInput {
  eventId: number;
  alertId: number;
}

/** A transition with the alert as it was right after it (what a resuming client is sent). */
export interface AlertEvent extends Transition {
  alert: Alert;
}

/** Runs inside a transition's transaction (AlertStore.setRecordHook). */
export type RecordHook = (event: AlertEvent) => void;

export interface AlertListFilter {
  states?: readonly AlertState[];
  severity?: Severity;
  domain?: string;
  deviceId?: string;
  /** firedAt bounds, epoch ms: from inclusive, to exclusive. */
  from?: number;
  to?: number;
  /** Page below this id (lists are newest first, by id). */
  before?: number;
  limit: number;
}

export interface AlertStore {
  /** Inserts a new alert and its `fired` transition atomically; returns it with its id and eventId. */
  open(alert: NewAlert, transition: TransitionInput): Alert;
  /** Writes the alert's changed fields and one transition atomically; returns the alert with its new eventId. */
  transition(alert: Alert, transition: TransitionInput): Alert;
  get(id: number): Alert | undefined;
  transitions(alertId: number): Transition[];
  /** Newest first (id descending): a page never repeats or skips an alert while new ones are inserted. */
  list(filter: AlertListFilter): Alert[];
  /** Every alert not yet resolved. */
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

export interface SilenceMatch {
  domain?: string;
  type?: string;
  deviceId?: string;
  district?: string;
  ruleId?: string;
}

export interface Silence {
  id: string;
  match: SilenceMatch;
  from: number;
  to: number;
  reason: string;
  createdBy: string;
  /** The Credit id of its creator (absent on silences made before ids were recorded). */
  createdById?: string | null;
  createdAt: number;
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
