// The device fleet as the console knows it: loaded over REST, refreshed periodically, patched by live events.
import type { Api } from './api.js';
import type { Device, DeviceStatusEvent, ReadingEvent } from '../types.js';

export class DeviceStore {
  readonly byId = new Map<string, Device>();
  loaded = false;
  error: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly api: Api) {}

  /** Reloads every device (GET /api/devices, all pages). */
  async refresh(): Promise<void> {
    try {
      const devices = await this.api.devices();
      this.byId.clear();
      for (const d of devices) this.byId.set(d.id, d);
      this.loaded = true;
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
    this.changed();
  }

  /** Stores one device as the API answered it. */
  put(device: Device): void {
    this.byId.set(device.id, device);
    this.changed();
  }

  /** `device:status`. */
  applyStatus(e: DeviceStatusEvent): void {
    const d = this.byId.get(e.deviceId);
    if (!d) return;
    this.byId.set(d.id, { ...d, status: e.status, lastSeen: e.lastSeen ?? d.lastSeen });
    this.changed();
  }

  /** `reading` (watched devices): latest values and last seen move on. */
  applyReading(e: ReadingEvent): void {
    const d = this.byId.get(e.deviceId);
    if (!d) return;
    const latest = { ...d.latest };
    for (const [m, v] of Object.entries(e.values)) {
      const prev = latest[m];
      if (!prev || Date.parse(prev.t) <= Date.parse(e.ts)) latest[m] = { v, t: e.ts };
    }
    const status = d.status === 'stale' ? 'online' : d.status;
    this.byId.set(d.id, { ...d, latest, status, lastSeen: new Date().toISOString() });
    this.changed();
  }

  list(): Device[] {
    return [...this.byId.values()];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
