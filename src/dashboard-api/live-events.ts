// The Socket.IO event maps (docs/contract.md section 6), shared by the server, the console and the tests so
// an event name or payload cannot drift.
import type { AlertView, Severity } from '../alerts/index.js';

/** What a client sees: every field optional; an absent field does not narrow. */
export interface LiveFilter {
  domains?: string[];
  types?: string[];
  severities?: Severity[];
  districts?: string[];
  deviceIds?: string[];
}

export interface SubscribeRequest extends LiveFilter {
  /** An eventId: every matching transition after it is sent again, in order, before live ones. */
  since?: number;
}

export interface LiveError {
  error: { code: string; message: string };
}

/** The ack of `subscribe`: the filter in force (the old one stays when the request was refused). */
export type SubscribeAck = LiveFilter | LiveError;

export interface WatchRequest {
  deviceIds: string[];
}

/** The ack of `watch`/`unwatch`: every device the client now watches. */
export type WatchAck = { deviceIds: string[] } | LiveError;

export type DeviceStatus = 'online' | 'offline' | 'stale';

export interface DeviceStatusEvent {
  deviceId: string;
  status: DeviceStatus;
  /** RFC 3339, or null when the device never sent anything. */
  lastSeen: string | null;
}

export interface ReadingEvent {
  deviceId: string;
  domain: string;
  type: string;
  /** Event time, RFC 3339. */
  ts: string;
  values: Record<string, number | boolean>;
}

export interface ServerToClientEvents {
  'alerts:snapshot': (alerts: AlertView[]) => void;
  'alert:fired': (alert: AlertView) => void;
  'alert:acknowledged': (alert: AlertView) => void;
  'alert:resolved': (alert: AlertView) => void;
  'device:status': (status: DeviceStatusEvent) => void;
  reading: (reading: ReadingEvent) => void;
  /** A replay stopped at its cap: subscribe again with this `since` for the rest (no live events until then). */
  'replay:capped': (e: { since: number; message: string }) => void;
  /** Sent just before the server drops a client whose unsent backlog passed its bound. */
  'live:overflow': (e: { code: 'slow_consumer'; message: string }) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (result: SubscribeAck) => void) => void;
  watch: (request: WatchRequest, ack: (result: WatchAck) => void) => void;
  unwatch: (request: WatchRequest, ack: (result: WatchAck) => void) => void;
}

export const MAX_WATCHED = 100;
