import type { Reading } from '../core/index.js';

const WINDOW = 31;

/** How far each device's own timestamps run from the receive time: the median of its recent timestamped readings. */
export interface ClockSkew {
  record(readings: readonly Reading[]): void;
  /** Median of (device ts - receive time) in ms over the last 31 readings that carried a timestamp; null if none. */
  medianMs(deviceId: string): number | null;
}

export function createClockSkew(): ClockSkew {
  const recent = new Map<string, { values: number[]; next: number }>();
  return {
    record(readings) {
      for (const r of readings) {
        // A reading without a device timestamp got the receive time as ts: it says nothing about the device's clock.
        if (r.ts === r.receivedAt) continue;
        let ring = recent.get(r.deviceId);
        if (!ring) recent.set(r.deviceId, (ring = { values: [], next: 0 }));
        if (ring.values.length < WINDOW) ring.values.push(r.ts - r.receivedAt);
        else ring.values[ring.next] = r.ts - r.receivedAt;
        ring.next = (ring.next + 1) % WINDOW;
      }
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
