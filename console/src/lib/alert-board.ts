// The live alert board's state: the active alerts and a feed of recent transitions, fed by the snapshot and
// the alert events of Socket.IO. No DOM here (the tests drive it directly too).
//
// Resuming: every transition carries an increasing `eventId`. The board remembers the highest it has seen and
// a reconnecting client subscribes with `since` = that id; the server replays every transition after it, then
// sends a fresh snapshot. Replays can overlap what was already seen (a live event can arrive between the
// reconnect and the replay), so transitions are deduplicated by eventId and an alert's state is only ever
// replaced by a newer transition of the same alert.
import type { Alert, AlertKind, Severity } from '../types.js';

export interface FeedEntry {
  eventId: number;
  kind: AlertKind;
  alert: Alert;
}

export interface EventResult {
  /** A transition this client had not seen before. */
  fresh: boolean;
  /** A fresh firing of a critical alert: the console sounds and flashes for it. */
  alarm: boolean;
}

/** Severities in order: a higher rank is more severe. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };
const FEED_MAX = 200;
const SEEN_MAX = 5000;

/** Most severe first, then newest first (then highest id, so the order is total). */
export function compareAlerts(a: Alert, b: Alert): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Date.parse(b.firedAt) - Date.parse(a.firedAt) || b.id - a.id;
}

/** A device's active alerts in brief: the most severe, how many, and how many of them nobody acknowledged yet. */
export interface DeviceAlerts {
  severity: Severity;
  count: number;
  /** Firing (not acknowledged). */
  firing: number;
}

/** The most severe active alert per device, how many it has, and how many are still firing (not acknowledged). */
export function worstAlertByDevice(alerts: Iterable<Alert>): Map<string, DeviceAlerts> {
  const out = new Map<string, DeviceAlerts>();
  for (const a of alerts) {
    const cur = out.get(a.deviceId);
    const firing = a.state === 'firing' ? 1 : 0;
    if (!cur) out.set(a.deviceId, { severity: a.severity, count: 1, firing });
    else out.set(a.deviceId, { severity: SEVERITY_RANK[a.severity] > SEVERITY_RANK[cur.severity] ? a.severity : cur.severity, count: cur.count + 1, firing: cur.firing + firing });
  }
  return out;
}

/** Worst first: by severity, then by how many alerts, then by how many are not acknowledged; none last. */
export function compareDeviceAlerts(a: DeviceAlerts | undefined, b: DeviceAlerts | undefined): number {
  return (b ? SEVERITY_RANK[b.severity] : 0) - (a ? SEVERITY_RANK[a.severity] : 0) || (b?.count ?? 0) - (a?.count ?? 0) || (b?.firing ?? 0) - (a?.firing ?? 0);
}

/**
 * Since when a stale (no data) alert's device has been silent: its last message (the device's lastSeen), not the
 * time the alert fired. Without the device at hand, the alert's value says how long it had been silent at firing.
 */
export function silentSince(a: Alert, lastSeen: string | null | undefined): string {
  if (lastSeen) return lastSeen;
  if (a.lastValueAt) return a.lastValueAt;
  if (typeof a.value === 'number') return new Date(Date.parse(a.firedAt) - a.value * 1000).toISOString();
  return a.firedAt;
}

export class AlertBoard {
  /** Alerts that are firing or acknowledged, by id. */
  readonly active = new Map<number, Alert>();
  /** Recent transitions, newest first. */
  feed: FeedEntry[] = [];
  /**
   * The highest eventId seen in a transition: what a (re)connecting client passes as `since`. Snapshots do not
   * move it: they hold only active alerts, so transitions of others after it may still be unseen.
   */
  lastEventId = 0;
  private readonly seen = new Set<number>();
  /** The newest eventId known per alert id (resolved ones too), so an older transition never overwrites a newer one. */
  private readonly versions = new Map<number, number>();
  private readonly listeners = new Set<() => void>();

  /**
   * Seeds the feed with the newest alerts (GET /api/alerts, any state) before connecting. Every alert fired later
   * has a higher eventId than all of them, so subscribing with `since` = lastEventId misses none.
   */
  seed(recent: readonly Alert[]): void {
    for (const a of [...recent].sort((x, y) => x.eventId - y.eventId)) {
      this.record(a.state === 'firing' ? 'fired' : a.state, a);
      this.applyState(a);
    }
    this.changed();
  }

  /** `alerts:snapshot`: the active alerts, complete as of this point of the stream. */
  applySnapshot(alerts: readonly Alert[]): void {
    const next = new Map<number, Alert>();
    for (const a of alerts) {
      // A newer transition of this alert was already applied (the answer to our own ack or resolve): keep it.
      if ((this.versions.get(a.id) ?? 0) > a.eventId) {
        const local = this.active.get(a.id);
        if (local) next.set(a.id, local);
        continue;
      }
      this.versions.set(a.id, a.eventId);
      next.set(a.id, a);
    }
    this.active.clear();
    for (const [id, a] of next) this.active.set(id, a);
    this.changed();
  }

  /** `alert:fired` / `alert:acknowledged` / `alert:resolved`, live or replayed: recorded once, applied if newer. */
  applyEvent(kind: AlertKind, alert: Alert): EventResult {
    const fresh = !this.seen.has(alert.eventId);
    if (fresh) this.record(kind, alert);
    this.applyState(alert);
    this.changed();
    return { fresh, alarm: fresh && kind === 'fired' && alert.severity === 'critical' };
  }

  /** An alert as a REST call answered it (our own ack or resolve): state only; its event comes over the socket. */
  applyAnswer(alert: Alert): void {
    this.applyState(alert);
    this.changed();
  }

  /** Active alerts, most severe and newest first. */
  sorted(): Alert[] {
    return [...this.active.values()].sort(compareAlerts);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyState(alert: Alert): void {
    if ((this.versions.get(alert.id) ?? 0) > alert.eventId) return;
    this.versions.set(alert.id, alert.eventId);
    if (alert.state === 'resolved') this.active.delete(alert.id);
    else this.active.set(alert.id, alert);
  }

  private record(kind: AlertKind, alert: Alert): void {
    if (this.seen.has(alert.eventId)) return;
    this.seen.add(alert.eventId);
    this.lastEventId = Math.max(this.lastEventId, alert.eventId);
    const entry: FeedEntry = { eventId: alert.eventId, kind, alert };
    // Usually the newest; a replay can interleave with live events, so keep eventId order all the same.
    let i = 0;
    while (i < this.feed.length && this.feed[i]!.eventId > entry.eventId) i++;
    this.feed = [...this.feed.slice(0, i), entry, ...this.feed.slice(i)].slice(0, FEED_MAX);
    if (this.seen.size > SEEN_MAX) {
      const floor = this.lastEventId - SEEN_MAX / 2;
      for (const id of this.seen) if (id < floor) this.seen.delete(id);
    }
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
