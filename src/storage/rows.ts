import type { RefusalReason } from '../core/index.js';
import type { Device, StoredDeadLetter } from './ports.js';
import type { Session } from './user-ports.js';

// The rows both SQL adapters (sqlite/, postgres/) read, as their drivers return them, and each one's row→object
// mapper: one place, so that the two engines cannot drift apart in what a row means.

/** A `devices` row; `latest` is JSONB on PostgreSQL (the driver parses it) and JSON text on SQLite. */
export interface DeviceRow {
  id: string;
  domain: string;
  type: string;
  name: string | null;
  district: string | null;
  lat: number | null;
  lon: number | null;
  created_at: number;
  last_seen: number | null;
  latest: Device['latest'] | string;
  left_at: number | null;
}

export const DEVICE_COLUMNS = 'id, domain, type, name, district, lat, lon, created_at, last_seen, latest, left_at';

/** A device from its row; the one difference between the engines, `latest` as text (SQLite), is parsed here. */
export function toDevice(r: DeviceRow): Device {
  const latest = typeof r.latest === 'string' ? (JSON.parse(r.latest) as Device['latest']) : r.latest;
  const d: Device = { id: r.id, domain: r.domain, type: r.type, createdAt: r.created_at, latest };
  if (r.name !== null) d.name = r.name;
  if (r.district !== null) d.district = r.district;
  if (r.lat !== null && r.lon !== null) d.location = { lat: r.lat, lon: r.lon };
  if (r.last_seen !== null) d.lastSeen = r.last_seen;
  if (r.left_at !== null) d.leftAt = r.left_at;
  return d;
}

/** A `dead_letters` row. */
export interface LetterRow {
  id: number;
  received_at: number;
  device_id: string | null;
  topic: string;
  reason: RefusalReason;
  detail: string;
  payload: string;
}

export const LETTER_COLUMNS = 'id, received_at, device_id, topic, reason, detail, payload';

/** The payload bytes all dead letters together may hold by default (each keeps up to 64 KiB, for replay). */
export const DEAD_LETTER_MAX_BYTES = 256 * 1024 * 1024;

export const toLetter = (r: LetterRow): StoredDeadLetter => ({
  id: r.id, receivedAt: r.received_at, deviceId: r.device_id, topic: r.topic, reason: r.reason, detail: r.detail, payload: r.payload,
});

/** A `sessions` row. */
export interface SessionRow {
  id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
}

export const toSession = (r: SessionRow): Session => ({ id: r.id, userId: r.user_id, createdAt: r.created_at, lastSeenAt: r.last_seen_at });
