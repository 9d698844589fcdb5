// What the console receives. The live event maps are the server's own (type-only import through dashboard-api's door,
// nothing is bundled);
// REST bodies follow the OpenAPI document at /api/openapi.json.
import type {
  ClientToServerEvents,
  DeviceStatus,
  DeviceStatusEvent,
  ReadingEvent,
  ServerToClientEvents,
  SubscribeAck,
} from '../../src/dashboard-api/index.js';

export type { ClientToServerEvents, DeviceStatus, DeviceStatusEvent, ReadingEvent, ServerToClientEvents, SubscribeAck };

export type Alert = Parameters<ServerToClientEvents['alert:fired']>[0];
export type Severity = Alert['severity'];
export type AlertState = Alert['state'];
export type AlertKind = 'fired' | 'acknowledged' | 'resolved';
export type Role = 'viewer' | 'operator' | 'admin';

export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export interface Principal {
  name: string;
  role: Role;
  /** What the token or person sees; absent: everything (the operations centre). */
  scope?: { domains?: string[]; districts?: string[] };
  /** A signed-in person (not a token). */
  userId?: string;
  username?: string;
}

export interface Device {
  id: string;
  domain: string;
  type: string;
  name?: string;
  district?: string;
  location?: { lat: number; lon: number };
  createdAt: string;
  status: DeviceStatus;
  lastSeen: string | null;
  latest: Record<string, { v: number | boolean; t: string }>;
  clockSkewMs: number | null;
}

export interface CatalogMetric {
  name: string;
  kind: 'number' | 'boolean';
  unit?: string;
  min?: number;
  max?: number;
}

export interface CatalogType {
  name: string;
  intervalMs: number;
  metrics: CatalogMetric[];
}

export interface Catalog {
  domains: { name: string; types: CatalogType[] }[];
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
  from: string;
  to: string;
  reason: string;
  createdBy: string;
  createdById: string | null;
  createdAt: string;
  active: boolean;
}

export type Condition =
  | { op: '>' | '>=' | '<' | '<='; value: number }
  | { op: 'outside' | 'inside'; low: number; high: number }
  | { op: 'no_data' };

export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  match: { domain?: string; type?: string; deviceId?: string; district?: string };
  metric?: string;
  condition: Condition;
  severity: Severity;
  updatedAt: string;
  createdBy: { id: string; name: string } | null;
  updatedBy: { id: string; name: string } | null;
}

export interface Stats {
  connectedDevices: number;
  /** The platform's counters: absent for a scoped user (they are not counted per device). */
  readings?: { accepted: number; refused: Record<string, number>; stored: number };
  spool?: { backlog: number; bytes: number; oldestAgeMs: number | null };
  store: { kind: 'influxdb' | 'sqlite'; up: boolean };
  activeAlerts: number;
}

export interface HistoryPoint {
  t: string;
  v: number | boolean;
}

export type Aggregate = 'mean' | 'min' | 'max' | 'last' | 'count' | 'sum';
