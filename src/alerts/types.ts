// The alert engine's face: what it needs, what it offers, and how a recorded transition is pushed.
import type { Registry } from 'prom-client';
import type { Alert, AlertEvent, AlertQuery, Catalog, Credit, Logger, Reading, Rule, Silence, SilenceMatch, Transition } from '../core/index.js';
import type { AlertStores } from '../storage/index.js';
import type { RuleInput } from './rule-schema.js';

/** What the engine needs to know of a registered device. */
export interface AlertDeviceInfo {
  domain: string;
  type: string;
  district?: string | null;
}

/** Device lookup (the registry): read once per device per minute, never per reading. */
export interface AlertDeviceLookup {
  get(id: string): AlertDeviceInfo | undefined;
}

/**
 * What the stale sweep asks device status, the one owner of lastSeen, goodbyes and the definition of stale (so the
 * REST devices list and the sweep agree), passed in by the composition root.
 */
export interface AlertDeviceStatus {
  /** Receive time of the device's newest message. */
  lastSeen(deviceId: string): number | undefined;
  /** Stale for a silence of more than `limitMs` at `at` (the grace after start, goodbyes and returns included). */
  isStale(deviceId: string, limitMs: number, at: number): boolean;
}

export interface AlertEngineDeps {
  catalog: Catalog;
  store: AlertStores;
  devices: AlertDeviceLookup;
  status: AlertDeviceStatus;
  log: Logger;
  metrics: Registry;
  now?: () => number;
  /** node-cron expression of the stale sweep (default every 10 s); `false`: no schedule (tests call sweep()). */
  sweepSchedule?: string | false;
  /** How often last values and device watermarks are written (default 2 s). */
  flushIntervalMs?: number;
}

export type PushKind = 'fired' | 'acknowledged' | 'resolved';
export type TransitionListener = (alert: Alert, kind: PushKind) => void;

export interface SilenceInput {
  match: SilenceMatch;
  from: number;
  to: number;
  reason: string;
}

export interface AlertEngine {
  /** Loads rules (seeding the built-in ones on first start), open alerts and pending `for` timers; starts the sweep. */
  start(): Promise<void>;
  /** Stops timers and the sweep and writes what is buffered; the store stays open. */
  stop(): Promise<void>;
  ready(): boolean;
  /** Evaluates a batch of accepted readings (spool order); never throws. */
  evaluate(readings: readonly Reading[]): void;
  /** Called synchronously after each recorded transition; returns an unsubscribe function. */
  onTransition(listener: TransitionListener): () => void;
  /** `by` is credited: its name becomes acknowledgedBy and the transition's actor, its id acknowledgedById and actorId. */
  ack(id: number, by: Credit, note?: string): Alert;
  resolve(id: number, by: Credit, note?: string): Alert;
  /** Fires and resolves `no_data` alerts, ends expired silences, flushes buffered values. */
  sweep(): void;
  /**
   * The device was deleted (called where it is deleted, not found by the sweep): the engine forgets it at once, its
   * pending conditions and holds go, and its open alerts resolve (actor `system`, note `device deleted`).
   */
  deviceDeleted(deviceId: string): void;
  getAlert(id: number): (Alert & { transitions: Transition[] }) | undefined;
  /** One page: `nextCursor` (an alert id, the next page's `before`) when more may follow. */
  listAlerts(q: AlertQuery): { items: Alert[]; nextCursor?: number };
  activeAlerts(): Alert[];
  /** Recorded transitions after `eventId`, in order (for clients that resume). */
  eventsAfter(eventId: number, limit: number): AlertEvent[];
  listRules(): Rule[];
  getRule(id: string): Rule | undefined;
  /** Rule changes record `by` (createdBy / updatedBy) and are logged at info with it. */
  createRule(input: RuleInput, by?: Credit): Rule;
  updateRule(id: string, input: RuleInput, by?: Credit): Rule;
  deleteRule(id: string, by?: Credit): void;
  listSilences(): Silence[];
  getSilence(id: string): Silence | undefined;
  createSilence(input: SilenceInput, by: Credit): Silence;
  deleteSilence(id: string): void;
}

/** How a recorded transition is pushed to clients: null when it is not (the firing of a silenced alert). */
export function pushKindOf(e: AlertEvent): PushKind | null {
  switch (e.kind) {
    case 'fired': return e.alert.silenced ? null : 'fired';
    case 'unsilenced': return e.alert.state === 'resolved' ? null : e.alert.state === 'firing' ? 'fired' : 'acknowledged';
    default: return e.kind;
  }
}
