import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createAlertEngine, type Alert, type AlertDeviceInfo, type AlertEngine, type AlertEngineDeps, type PushKind } from '../../src/alerts/index.js';
import { createLogger, loadCatalog, type Reading } from '../../src/core/index.js';
import { createDeviceStatus, type DeviceStatusDeps, type DeviceStatusTracker } from '../../src/devices/index.js';
import { createSqliteStores, type Device, type DeviceSeen, type SqliteStores } from '../../src/storage/index.js';

export const catalog = loadCatalog();
export const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** A second, raw connection to the citysense.db in `dir`, for SQL that no port offers (an older version's rows, a look at a table). */
export function openDb(dir: string): Database.Database {
  const db = new Database(join(dir, 'citysense.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

export interface Pushed {
  alert: Alert;
  kind: PushKind;
}

export interface EngineHarness {
  dir: string;
  /** The SQLite stores of `dir`, as the app opens them (the engine runs on their alert stores). */
  stores: SqliteStores;
  /** The engine; its evaluate() hands the readings to device status first, as ingest's listeners do in the app. */
  engine: AlertEngine;
  /** Device status, which the sweep asks (lastSeen, goodbyes, stale). */
  status: DeviceStatusTracker;
  /** Every transition the engine announced, in order. */
  pushed: Pushed[];
  /** The device registry the engine looks devices up in (a plain map: the registry is beside the point here). */
  devices: Map<string, SeenDevice>;
  /** Stops the engine and device status and closes the stores; `keep` leaves the directory for a restart. */
  close(keep?: boolean): Promise<void>;
}

/** A registered device as the map keeps it: what the engine looks up, and what device status writes back. */
export type SeenDevice = AlertDeviceInfo & { lastSeen?: number; leftAt?: number | null };

/** The registry's part device status uses, over the harness's map (it survives a restart of the harness). */
function mapRegistry(devices: Map<string, SeenDevice>): DeviceStatusDeps['registry'] {
  return {
    list: () => [...devices].map(([id, d]): Device => ({
      id, domain: d.domain, type: d.type, createdAt: 0, latest: {},
      ...(d.lastSeen !== undefined ? { lastSeen: d.lastSeen } : {}), ...(d.leftAt != null ? { leftAt: d.leftAt } : {}),
    })),
    recordSeen(updates: readonly DeviceSeen[]) {
      for (const u of updates) {
        const d = devices.get(u.id);
        if (!d) continue;
        if (u.lastSeen !== undefined) d.lastSeen = Math.max(d.lastSeen ?? 0, u.lastSeen);
        if (u.leftAt !== undefined) d.leftAt = u.leftAt;
      }
    },
  };
}

/** Starts an engine on a real SQLite file in `dir` (a new temp dir when absent); no cron sweep unless asked. */
export async function startEngine(opts: Partial<Pick<AlertEngineDeps, 'now' | 'sweepSchedule'>> & Pick<DeviceStatusDeps, 'graceMs'> & { dir?: string; devices?: Map<string, SeenDevice> } = {}): Promise<EngineHarness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'citysense-alerts-'));
  const stores = createSqliteStores(dir);
  const devices = opts.devices ?? new Map<string, SeenDevice>();
  const status = createDeviceStatus({ catalog, registry: mapRegistry(devices), log, now: opts.now, graceMs: opts.graceMs ?? 0, checkSchedule: false });
  const raw = createAlertEngine({
    catalog,
    store: stores.alertStores,
    devices: { get: (id) => devices.get(id) },
    status,
    log,
    metrics: new Registry(),
    now: opts.now,
    sweepSchedule: opts.sweepSchedule ?? false,
  });
  const engine: AlertEngine = {
    ...raw,
    evaluate(readings) {
      status.record(readings);
      raw.evaluate(readings);
    },
  };
  const pushed: Pushed[] = [];
  engine.onTransition((alert, kind) => pushed.push({ alert, kind }));
  await status.start();
  await engine.start();
  return {
    dir,
    stores,
    engine,
    status,
    pushed,
    devices,
    async close(keep = false) {
      await engine.stop();
      await status.stop();
      await stores.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A unique device id for one test run. */
export function deviceId(prefix = 'dev'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** One accepted reading: event time `ts`, received at `receivedAt` (default: the same). */
export function reading(deviceId: string, domain: string, type: string, ts: number, values: Record<string, number | boolean>, receivedAt = ts): Reading {
  return { deviceId, domain, type, ts, receivedAt, values };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is truthy or `timeoutMs` passes. */
export async function until<T>(check: () => T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
