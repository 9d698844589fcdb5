import type { Reading } from '../core/index.js';

const WINDOW = 31;

/** How far each device's own timestamps run from the receive time: the median over its recent messages. */
export interface ClockSkew {
  /** Takes accepted readings in arrival order (a message's readings next to each other). */
  record(readings: readonly Reading[]): void;
  /**
   * Median of (device ts - receive time) in ms over the last 31 messages that carried a timestamp, each by its
   * newest reading (a batch of older readings sent late says when they were measured, not how the clock runs);
   * null if none.
   */
  medianMs(deviceId: string): number | null;
  /** Forgets a deleted device. */
  forget(deviceId: string): void;
}

export function createClockSkew(): ClockSkew {
  const recent = new Map<string, { values: number[]; next: number }>();
  const add = (deviceId: string, skew: number) => {
    let ring = recent.get(deviceId);
    if (!ring) recent.set(deviceId, (ring = { values: [], next: 0 }));
    if (ring.values.length < WINDOW) ring.values.push(skew);
    else ring.values[ring.next] = skew;
    ring.next = (ring.next + 1) % WINDOW;
  };
  return {
    record(readings) {
      // One sample per message: its readings share the device and the receive time, and come together.
      let current: Reading | undefined;
      for (const r of readings) {
        // A reading without a device timestamp got the receive time as ts: it says nothing about the device's clock.
        if (r.ts === r.receivedAt) continue;
        if (current && current.deviceId === r.deviceId && current.receivedAt === r.receivedAt) {
          if (r.ts > current.ts) current = r;
          continue;
        }
        if (current) add(current.deviceId, current.ts - current.receivedAt);
        current = r;
      }
      if (current) add(current.deviceId, current.ts - current.receivedAt);
    },
    forget(deviceId) {
      recent.delete(deviceId);
    },
    medianMs(deviceId) {
      const values = recent.get(deviceId)?.values;
      if (!values?.length) return null;
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
    },
  };
}
