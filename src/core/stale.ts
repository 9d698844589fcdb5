// The one definition of a stale device: the device status room applies it to what it knows of each device, and
// both the REST devices list (status `stale`) and the alert engine's no_data sweep ask device status, so they agree.

/** What the definition reads of one device. */
export interface DeviceSilence {
  /** Receive time of its newest message (epoch ms); undefined: never heard from, so never stale. */
  lastSeen: number | undefined;
  /** It said goodbye then (its own `offline`, or a clean DISCONNECT) and has not been back since: away, not stale. */
  leftAt: number | null;
  /** It came back then (connected, or said `online`); 0: not since start. A silence counts from its return. */
  backAt: number;
}

/** Since when the platform could have heard from devices: its start, and the grace after it (ALERT_STALE_GRACE). */
export interface ListeningSince {
  startedAt: number;
  graceMs: number;
}

/** How long a device may be silent: 3 catalog intervals, or a no_data rule's own `for` when it has one. */
export const staleLimitMs = (intervalMs: number, forMs = 0): number => (forMs > 0 ? forMs : 3 * intervalMs);

/**
 * Stale at `at`: heard from once, not away after a goodbye, past the grace after start, and silent for more than
 * `limitMs`, counted from the latest of its last message, its return and the start (every device gets `limitMs`
 * after a start before it counts as silent). Exactly `limitMs` of silence is not stale yet.
 */
export function isStale(d: DeviceSilence, limitMs: number, at: number, since: ListeningSince): boolean {
  if (d.lastSeen === undefined || d.leftAt !== null) return false;
  if (at - since.startedAt < since.graceMs) return false;
  return at - Math.max(d.lastSeen, since.startedAt, d.backAt) > limitMs;
}
