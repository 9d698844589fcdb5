import { conflict } from '../../core/index.js';
import type { Device, DeviceFilter, DeviceRegistry, DeviceSeen, NewDevice } from '../ports.js';
import { DEVICE_COLUMNS as COLUMNS, toDevice, type DeviceRow } from '../rows.js';
import type { SqliteDb } from './open.js';

type Latest = Device['latest'];

/** The device registry on the `devices` table of citysense.db. */
export function createSqliteDeviceRegistry(db: SqliteDb, now: () => number = Date.now): DeviceRegistry {
  const insert = db.prepare<[string, string, string, string | null, string | null, number | null, number | null, string, number]>(
    `INSERT INTO devices (id, domain, type, name, district, lat, lon, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare<[string], DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = ?`);
  const remove = db.prepare<[string]>('DELETE FROM devices WHERE id = ?');
  const getHash = db.prepare<[string], string>('SELECT secret_hash FROM devices WHERE id = ?').pluck();
  const setHash = db.prepare<[string, string]>('UPDATE devices SET secret_hash = ? WHERE id = ?');
  const swapHash = db.prepare<[string, string, string]>('UPDATE devices SET secret_hash = ? WHERE id = ? AND secret_hash = ?');
  const schemes = db.prepare<[], { scheme: string; n: number }>(
    "SELECT substr(secret_hash, 1, instr(secret_hash || '$', '$') - 1) AS scheme, count(*) AS n FROM devices GROUP BY scheme",
  );
  const seenRow = db.prepare<[string], { last_seen: number | null; latest: string; left_at: number | null }>('SELECT last_seen, latest, left_at FROM devices WHERE id = ?');
  const updateSeen = db.prepare<[number | null, string, number | null, string]>('UPDATE devices SET last_seen = ?, latest = ?, left_at = ? WHERE id = ?');

  const recordSeen = db.transaction((updates: readonly DeviceSeen[]) => {
    for (const u of updates) {
      const row = seenRow.get(u.id);
      if (!row) continue; // deleted meanwhile: nothing to record
      // Batches may arrive out of order (spool replay), so lastSeen only moves forward and each metric keeps its newest value.
      const lastSeen = u.lastSeen === undefined ? row.last_seen : row.last_seen === null ? u.lastSeen : Math.max(row.last_seen, u.lastSeen);
      const latest = JSON.parse(row.latest) as Latest;
      for (const [metric, value] of Object.entries(u.latest)) {
        const prev = latest[metric];
        if (!prev || value.t >= prev.t) latest[metric] = { v: value.v, t: value.t };
      }
      updateSeen.run(lastSeen, JSON.stringify(latest), u.leftAt === undefined ? row.left_at : u.leftAt, u.id);
    }
  });

  const add = (device: NewDevice, secretHash: string, at: number): void => {
    try {
      insert.run(
        device.id, device.domain, device.type, device.name ?? null, device.district ?? null,
        device.location?.lat ?? null, device.location?.lon ?? null, secretHash, at,
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw conflict(`device ${device.id} already exists`);
      throw err;
    }
  };
  const addMany = db.transaction((devices: readonly { device: NewDevice; secretHash: string }[], at: number) => {
    for (const d of devices) add(d.device, d.secretHash, at);
  });

  return {
    create(device: NewDevice, secretHash: string): Device {
      add(device, secretHash, now());
      return toDevice(byId.get(device.id)!);
    },

    createMany(devices): void {
      if (devices.length > 0) addMany.immediate(devices, now());
    },

    get(id: string): Device | undefined {
      const row = byId.get(id);
      return row && toDevice(row);
    },

    list(filter: DeviceFilter = {}): Device[] {
      const where: string[] = [];
      const params: (string | number)[] = [];
      for (const key of ['domain', 'type', 'district'] as const) {
        const value = filter[key];
        if (value !== undefined) { where.push(`${key} = ?`); params.push(value); }
      }
      if (filter.after !== undefined) { where.push('id > ?'); params.push(filter.after); }
      // No limit means every match (SQLite reads a negative LIMIT as none), e.g. for a sweep over all devices.
      params.push(filter.limit === undefined ? -1 : Math.max(Math.trunc(filter.limit), 0));
      const sql = `SELECT ${COLUMNS} FROM devices ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
      return db.prepare<(string | number)[], DeviceRow>(sql).all(...params).map(toDevice);
    },

    delete(id: string): boolean {
      return remove.run(id).changes > 0;
    },

    secretHash(id: string): string | undefined {
      return getHash.get(id);
    },

    setSecretHash(id: string, secretHash: string): boolean {
      return setHash.run(secretHash, id).changes > 0;
    },

    replaceSecretHash(id: string, expected: string, secretHash: string): boolean {
      return swapHash.run(secretHash, id, expected).changes > 0;
    },

    secretSchemes(): Record<string, number> {
      return Object.fromEntries(schemes.all().map((r) => [r.scheme, r.n]));
    },

    recordSeen(updates: readonly DeviceSeen[]): void {
      if (updates.length > 0) recordSeen.immediate(updates);
    },
  };
}
