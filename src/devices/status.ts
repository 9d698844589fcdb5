import cron from 'node-cron';
import { isStale, staleLimitMs, type Catalog, type DeviceSilence, type Logger, type Reading } from '../core/index.js';
import type { Device, DeviceRegistry } from '../storage/index.js';
import { createClockSkew } from './clock-skew.js';
import { createSeenBuffer } from './seen-buffer.js';

export type DeviceStatus = 'online' | 'offline' | 'stale';

/** A change operators are told of: a device's first connection came or its last went, or it went stale. */
export interface DeviceStatusEvent {
  deviceId: string;
  status: DeviceStatus;
  /** Receive time of its newest message, never behind what was accepted. */
  lastSeen: number | undefined;
}

/** The broker's presence event: first connection came, last one went (`clean`: it ended with MQTT DISCONNECT). */
export interface ConnectionChange {
  deviceId: string;
  status: 'online' | 'offline';
  at: number;
  clean?: boolean;
}

/** What the REST API shows of a registered device's status. */
export interface DeviceStatusView {
  status: DeviceStatus;
  lastSeen: number | undefined;
  latest: Device['latest'];
  clockSkewMs: number | null;
}

export interface DeviceStatusDeps {
  catalog: Catalog;
  /** Keeps lastSeen, latest values and goodbyes (the registry's devices table). */
  registry: Pick<DeviceRegistry, 'list' | 'recordSeen'>;
  log: Logger;
  now?: () => number;
  /** No device is stale this soon after start (ALERT_STALE_GRACE); default 30 s. */
  graceMs?: number;
  /** node-cron expression of the check that announces devices going stale (ALERT_SWEEP_SCHEDULE); `false`: none (tests call check()). */
  checkSchedule?: string | false;
  /** How long lastSeen and latest values are gathered before one registry write; default 500 ms. */
  flushDelayMs?: number;
}

/** The one owner of device status: lastSeen and latest values, goodbyes, clock skew, stale, status events. */
export interface DeviceStatusTracker {
  /** Loads what the registry remembers (lastSeen, goodbyes); the grace and every device's first silence count from now. */
  start(): Promise<void>;
  /** Stops the check and writes what is gathered. */
  stop(): Promise<void>;
  /** Accepted readings (ingest's onAccepted), in spool order. */
  record(batch: readonly Reading[]): void;
  /** The broker's presence events; operators are told of each. */
  connection(e: ConnectionChange): void;
  /** A device's own `online` / `offline` on its status topic. */
  said(e: { deviceId: string; status: 'online' | 'offline'; at: number }): void;
  /** The one definition of stale (core's isStale) for a silence of more than `limitMs`, at `at`. */
  isStale(deviceId: string, limitMs: number, at: number): boolean;
  /** Receive time of the device's newest message. */
  lastSeen(deviceId: string): number | undefined;
  /** Status, lastSeen, latest values and clock skew of a registered device (its registry row). */
  view(device: Device): DeviceStatusView;
  /** Announces devices that went stale since the last check (on its schedule; tests call it). */
  check(): void;
  /** A deleted device: everything known of it is forgotten (an id used again starts afresh). */
  forget(deviceId: string): void;
  /** Status events; returns an unsubscribe function. */
  onStatus(listener: (e: DeviceStatusEvent) => void): () => void;
}

interface Entry extends DeviceSilence {
  domain: string;
  type: string;
  /** `stale` was announced and the device has not stopped being stale since. */
  announced: boolean;
}

export function createDeviceStatus(deps: DeviceStatusDeps): DeviceStatusTracker {
  const { catalog, log } = deps;
  const now = deps.now ?? Date.now;
  const since = { startedAt: now(), graceMs: deps.graceMs ?? 30_000 };
  const entries = new Map<string, Entry>();
  const online = new Set<string>();
  const listeners = new Set<(e: DeviceStatusEvent) => void>();
  const buffer = createSeenBuffer(deps.registry, deps.flushDelayMs ?? 500);
  const skew = createClockSkew();
  let task: ReturnType<typeof cron.schedule> | undefined;

  function emit(e: DeviceStatusEvent): void {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        log.error({ err, deviceId: e.deviceId }, 'device status listener failed');
      }
    }
  }

  const limitOf = (e: { domain: string; type: string }): number | undefined => {
    const sensor = catalog.get(e.domain, e.type);
    return sensor && staleLimitMs(sensor.intervalMs);
  };
  // A type no longer in the catalog has no interval: never stale (the sweep skips it too).
  const staleNow = (e: Entry | DeviceSilence & { domain: string; type: string }, at: number): boolean => {
    const limit = limitOf(e);
    return limit !== undefined && isStale(e, limit, at, since);
  };

  /** A goodbye (`left`) or a return (`back`); a device never heard from is never stale, so needs nothing. */
  function presence(deviceId: string, said: 'left' | 'back', at: number): void {
    const e = entries.get(deviceId);
    if (!e || (said === 'left') === (e.leftAt !== null)) return;
    e.leftAt = said === 'left' ? at : null;
    if (said === 'back') e.backAt = at;
    buffer.leftAt(deviceId, e.leftAt);
    log.debug({ deviceId, said }, said === 'left' ? 'device said goodbye: not stale while away' : 'device back: silence counts from now');
  }

  function record(batch: readonly Reading[]): void {
    for (const r of batch) {
      let e = entries.get(r.deviceId);
      if (!e) entries.set(r.deviceId, (e = { domain: r.domain, type: r.type, lastSeen: undefined, leftAt: null, backAt: 0, announced: false }));
      e.domain = r.domain;
      e.type = r.type;
      if (e.lastSeen === undefined || r.receivedAt > e.lastSeen) e.lastSeen = r.receivedAt;
      // Data received after its goodbye: a normal device again (data sent before it may arrive after it).
      if (e.leftAt !== null && r.receivedAt > e.leftAt) {
        e.leftAt = null;
        buffer.leftAt(r.deviceId, null);
      }
    }
    skew.record(batch);
    buffer.add(batch);
  }

  function check(): void {
    const t = now();
    for (const [deviceId, e] of entries) {
      const stale = staleNow(e, t);
      if (stale && !e.announced) emit({ deviceId, status: 'stale', lastSeen: e.lastSeen });
      e.announced = stale;
    }
  }

  return {
    async start() {
      since.startedAt = now();
      buffer.open();
      for (const d of deps.registry.list()) {
        if (d.lastSeen === undefined) continue;
        entries.set(d.id, { domain: d.domain, type: d.type, lastSeen: d.lastSeen, leftAt: d.leftAt ?? null, backAt: 0, announced: false });
      }
      if (deps.checkSchedule !== false) {
        task = cron.schedule(deps.checkSchedule ?? '*/10 * * * * *', check, { name: 'citysense-device-status', noOverlap: true });
      }
      log.info({ devices: entries.size, away: [...entries.values()].filter((e) => e.leftAt !== null).length }, 'device status started');
    },
    async stop() {
      await task?.destroy();
      task = undefined;
      buffer.close();
    },
    record,
    connection(e) {
      if (e.status === 'online') online.add(e.deviceId);
      else online.delete(e.deviceId);
      // A clean DISCONNECT is a goodbye; a lost connection (its will published) is not, and may go stale.
      if (e.status === 'online' || e.clean) presence(e.deviceId, e.status === 'online' ? 'back' : 'left', e.at);
      emit({ deviceId: e.deviceId, status: e.status, lastSeen: entries.get(e.deviceId)?.lastSeen });
    },
    said: (e) => presence(e.deviceId, e.status === 'online' ? 'back' : 'left', e.at),
    isStale(deviceId, limitMs, at) {
      const e = entries.get(deviceId);
      return e !== undefined && isStale(e, limitMs, at, since);
    },
    lastSeen: (deviceId) => entries.get(deviceId)?.lastSeen,
    view(d) {
      const e = entries.get(d.id);
      const silence = e ?? { domain: d.domain, type: d.type, lastSeen: d.lastSeen, leftAt: d.leftAt ?? null, backAt: 0 };
      const status: DeviceStatus = staleNow(silence, now()) ? 'stale' : online.has(d.id) ? 'online' : 'offline';
      // What is gathered and not written yet is newer than the row.
      const pending = buffer.pending(d.id);
      let latest = d.latest;
      if (pending) {
        latest = { ...d.latest };
        for (const [m, v] of Object.entries(pending.latest)) if (!latest[m] || v.t >= latest[m].t) latest[m] = { ...v };
      }
      return { status, lastSeen: e?.lastSeen ?? d.lastSeen, latest, clockSkewMs: skew.medianMs(d.id) };
    },
    check,
    forget(deviceId) {
      entries.delete(deviceId);
      online.delete(deviceId);
      buffer.forget(deviceId);
      skew.forget(deviceId);
    },
    onStatus(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
