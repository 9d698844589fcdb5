import type { DeviceIdentity } from './acl.js';

/** A device's live connection, closable by `disconnect`. */
export interface LiveConnection {
  close(): void;
}

export interface PresenceEvents {
  /**
   * The device's first live connection came (online) or its last one went (offline); `clean` (offline only): that
   * last connection ended with MQTT DISCONNECT, so its will was not published.
   */
  changed(device: DeviceIdentity, status: 'online' | 'offline', clean: boolean): void;
  /** A connection of a device went but others remain: its will may just have said `offline`, so say `online` again. */
  stillOnline(device: DeviceIdentity): void;
}

/** Live connections per device: a device is online while it has at least one. */
export class Presence {
  private readonly live = new Map<string, Set<LiveConnection>>();

  constructor(private readonly events: PresenceEvents) {}

  /** Counts a connection from its successful authentication on. */
  add(device: DeviceIdentity, conn: LiveConnection): void {
    let set = this.live.get(device.deviceId);
    if (!set) this.live.set(device.deviceId, (set = new Set()));
    set.add(conn);
    if (set.size === 1) this.events.changed(device, 'online', false);
  }

  /** Forgets a closed connection; `clean`: it ended with MQTT DISCONNECT. */
  remove(device: DeviceIdentity, conn: LiveConnection, clean: boolean): void {
    const set = this.live.get(device.deviceId);
    if (!set?.delete(conn)) return;
    if (set.size > 0) {
      this.events.stillOnline(device);
      return;
    }
    this.live.delete(device.deviceId);
    this.events.changed(device, 'offline', clean);
  }

  isOnline(deviceId: string): boolean {
    return this.live.has(deviceId);
  }

  devices(): number {
    return this.live.size;
  }

  /** Closes every connection of a device; returns how many there were. */
  disconnect(deviceId: string): number {
    const set = this.live.get(deviceId);
    if (!set) return 0;
    const conns = [...set];
    for (const c of conns) c.close();
    return conns.length;
  }
}
