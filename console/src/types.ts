// What the console receives and sends: the server's own declarations (src/dashboard-api/schemas), imported as
// types through the dashboard-api room's door, so nothing of the server is bundled and no body is declared twice.
// Below them, the few types and values that are the console's own.
import type { Severity } from '../../src/dashboard-api/index.js';

export type {
  Aggregate,
  Alert,
  AlertState,
  AlertWithTransitions,
  ApiErrorBody,
  BacktestBody,
  BacktestResult,
  Catalog,
  CatalogMetric,
  CatalogType,
  ClientToServerEvents,
  Condition,
  ContactPoint,
  ContactPointCreated,
  Delivery,
  Device,
  DeviceListQuery,
  DeviceStatus,
  DeviceStatusEvent,
  ExportQuery,
  History,
  HistoryPoint,
  HistoryQuery,
  NewContactPoint,
  NewPolicy,
  NewRule,
  NewSilence,
  NotificationPolicy,
  Page,
  ReadingEvent,
  Role,
  Rule,
  ServerToClientEvents,
  Severity,
  Silence,
  SignedIn,
  SilenceMatch,
  Stats,
  SubscribeAck,
  TestDelivery,
  WebhookFormat,
  Whoami as Principal,
} from '../../src/dashboard-api/index.js';

/** The live events an alert arrives by (`alert:fired` …), as the board applies them. */
export type AlertKind = 'fired' | 'acknowledged' | 'resolved';

/** Severities, most urgent first: the order the board and the filters show them in. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const satisfies readonly Severity[];
