import type { Registry } from 'prom-client';
import { alertView, createAlertEngine, transitionView, type AlertEngine } from '../alerts/index.js';
import type { Catalog, Config, Logger, Reading } from '../core/index.js';
import type { DeviceStatusTracker } from '../devices/index.js';
import { createNotifications, type Notifications } from '../notifications/index.js';
import { createEventStream, type EventStream } from '../stream/index.js';
import { asPart, type Part } from './lifecycle.js';
import { observeAlerts } from './observe/alerts.js';
import type { Stores } from './stores.js';

export interface AlertingDeps {
  config: Config;
  catalog: Catalog;
  stores: Stores;
  status: DeviceStatusTracker;
  log: Logger;
  metrics: Registry;
  /** The console's address for links, once the HTTP server listens (PUBLIC_URL wins). */
  listeningUrl(): string;
}

/** The alert engine, its notifications and (with NATS_URL) the event stream, and their parts. */
export interface Alerting {
  alerts: AlertEngine;
  notifications: Notifications;
  stream?: EventStream;
  /** What accepted readings go to: the engine, its transitions timed and logged at its door. */
  evaluate(batch: readonly Reading[]): void;
  /** The engine (with the stream) starts before ingest; notifications once the HTTP server listens (their links). */
  parts: { alerts: Part; stream?: Part; notifications: Part };
}

export function createAlerting(deps: AlertingDeps): Alerting {
  const { config, catalog, stores, status, log, metrics } = deps;
  const alerts = createAlertEngine({
    catalog, store: stores.alerts, devices: stores.meta.devices, status, log, metrics, sweepSchedule: config.alertSweepSchedule,
  });
  const evaluate = observeAlerts(alerts, log, metrics);
  const notifications = createNotifications({
    stores: stores.notifications, catalog, log, metrics,
    alert: (id) => alerts.getAlert(id), ruleExists: (id) => alerts.getRule(id) !== undefined, alertView,
    publicUrl: () => config.publicUrl ?? deps.listeningUrl(), smtpUrl: config.smtpUrl, smtpFrom: config.smtpFrom,
  });
  // A transition's notifications are written in the transition's own transaction (docs/architecture.md, Notifications).
  stores.alerts.alerts.setRecordHook(notifications.recordHook);

  // The event stream (NATS_URL): a second sink of the spool, and a publisher of alert transitions from the store.
  const stream = config.natsUrl
    ? createEventStream({
      url: config.natsUrl, catalog, log, metrics,
      districtOf: (id) => stores.meta.devices.get(id)?.district ?? null,
      alerts: stores.alerts.alerts,
      positions: stores.positions,
      alertBody: (e) => ({ transition: transitionView(e), alert: alertView(e.alert) }),
    })
    : undefined;
  if (stream) alerts.onTransition(() => stream.wakeAlerts());

  return {
    alerts, notifications, stream, evaluate,
    parts: {
      alerts: asPart('alert engine', alerts),
      // Stopped after ingest: ingest drains the readings sink first.
      ...(stream ? { stream: asPart('event stream', stream) } : {}),
      // Deliveries in flight get what is left of the budget (an unfinished one is tried again at the next start).
      notifications: { name: 'notifications', start: () => notifications.start(), stop: (deadline) => notifications.stop(Math.max(0, deadline - Date.now())) },
    },
  };
}
