// The alert vocabulary every room speaks: rules and their conditions, alerts and their transitions, silences.
// Plain data (times are epoch ms); the stores that keep them are storage's ports, the engine that makes them alerts'.

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

/** Which alerts to list, newest first (by id): the engine's query and the alert store's filter alike. */
export interface AlertQuery {
  states?: readonly AlertState[];
  severity?: Severity;
  domain?: string;
  deviceId?: string;
  /** firedAt bounds, epoch ms: from inclusive, to exclusive. */
  from?: number;
  to?: number;
  /** An alert id: the page continues below it (the previous page's `nextCursor`). */
  before?: number;
  limit: number;
}

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
