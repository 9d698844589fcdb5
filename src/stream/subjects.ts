import type { AlertEvent, Catalog, Reading } from '../core/index.js';

/** The JetStream stream citysense publishes to (created when missing). */
export const STREAM_NAME = 'CITYSENSE';
/** Every subject citysense publishes on. */
export const STREAM_SUBJECTS = ['citysense.>'];

/**
 * A subject token: a device id may hold `.`, which NATS reads as a token separator, so it is written `%2E`
 * (a device id never holds `%`, so the mapping is one to one; the body carries the id as it is).
 */
export const subjectToken = (s: string): string => s.replaceAll('.', '%2E');

/** `citysense.readings.{domain}.{type}.{deviceId}`. */
export function readingSubject(r: Reading): string {
  return `citysense.readings.${subjectToken(r.domain)}.${subjectToken(r.type)}.${subjectToken(r.deviceId)}`;
}

/**
 * The reading's `Nats-Msg-Id`: its device and identity (event time, and seq when it has one), the same key the
 * store writes it under, so a republish (after a crash, or a batch retried) is dropped by the duplicate window.
 */
export function readingMsgId(r: Reading): string {
  return r.seq === undefined ? `reading:${r.deviceId}:${r.ts}` : `reading:${r.deviceId}:${r.ts}:${r.seq}`;
}

/** The body of a reading message (docs/contract.md section 13): times in RFC 3339, units from the catalog. */
export function readingBody(r: Reading, district: string | null, catalog: Catalog) {
  const sensor = catalog.get(r.domain, r.type);
  const units: Record<string, string> = {};
  for (const m in r.values) {
    const unit = sensor?.metrics.get(m)?.unit;
    if (unit !== undefined) units[m] = unit;
  }
  return {
    deviceId: r.deviceId,
    domain: r.domain,
    type: r.type,
    district,
    ts: new Date(r.ts).toISOString(),
    receivedAt: new Date(r.receivedAt).toISOString(),
    ...(r.seq !== undefined ? { seq: r.seq } : {}),
    values: r.values,
    units,
  };
}

/** `citysense.alerts.{domain}.{severity}`. */
export function alertSubject(e: AlertEvent): string {
  return `citysense.alerts.${subjectToken(e.alert.domain)}.${e.alert.severity}`;
}

/** A transition's `Nats-Msg-Id`: its eventId, unique across the cluster. */
export const alertMsgId = (e: AlertEvent): string => `alert:${e.eventId}`;
