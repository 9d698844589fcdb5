import type { Reading } from '../core/index.js';
import type { DeviceRegistry, DeviceSeen } from '../storage/index.js';

/** lastSeen, latest values and goodbyes gathered per device and written in one registry transaction. */
export interface SeenBuffer {
  /** Takes a batch of accepted readings. */
  add(batch: readonly Reading[]): void;
  /** A goodbye (its time) or a return (null). */
  leftAt(deviceId: string, at: number | null): void;
  /** What is gathered and not written yet for one device. */
  pending(deviceId: string): DeviceSeen | undefined;
  /** Drops what is gathered for a deleted device. */
  forget(deviceId: string): void;
  /** Writes what is gathered now. */
  flush(): void;
  /** Writes what is gathered and takes nothing more (the registry closes next); open() takes again. */
  close(): void;
  open(): void;
}

/** Writes at most every `delayMs` (a write per reading would be a transaction per reading on the hot path). */
export function createSeenBuffer(registry: Pick<DeviceRegistry, 'recordSeen'>, delayMs: number): SeenBuffer {
  const seen = new Map<string, DeviceSeen>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const entry = (id: string): DeviceSeen => {
    let s = seen.get(id);
    if (!s) seen.set(id, (s = { id, latest: {} }));
    return s;
  };
  const later = () => {
    if (closed) seen.clear();
    else timer ??= setTimeout(flush, delayMs);
  };

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (seen.size === 0) return;
    const updates = [...seen.values()];
    seen.clear();
    registry.recordSeen(updates);
  }

  return {
    add(batch) {
      for (const r of batch) {
        const s = entry(r.deviceId);
        if (s.lastSeen === undefined || r.receivedAt > s.lastSeen) s.lastSeen = r.receivedAt;
        // Per reading, on the hot path: updated in place, no arrays or objects made once a metric has an entry.
        for (const m in r.values) {
          const prev = s.latest[m];
          if (!prev) s.latest[m] = { v: r.values[m]!, t: r.ts };
          else if (r.ts >= prev.t) {
            prev.v = r.values[m]!;
            prev.t = r.ts;
          }
        }
      }
      later();
    },
    leftAt(deviceId, at) {
      entry(deviceId).leftAt = at;
      later();
    },
    pending: (deviceId) => seen.get(deviceId),
    forget(deviceId) {
      seen.delete(deviceId);
    },
    flush,
    close() {
      flush();
      closed = true;
    },
    open() {
      closed = false;
    },
  };
}
