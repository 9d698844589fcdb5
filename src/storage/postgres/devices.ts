import { conflict } from '../../core/index.js';
import type { Async } from '../async.js';
import type { Device, DeviceFilter, DeviceRegistry, DeviceSeen, NewDevice } from '../ports.js';
import { DEVICE_COLUMNS as COLUMNS, toDevice, type DeviceRow } from '../rows.js';
import { inTransaction, isUniqueViolation, type PgPool } from './db.js';

// One statement for any number of devices (arrays unnested into rows): a repeated or taken id fails it whole.
const INSERT = `INSERT INTO devices (id, domain, type, name, district, lat, lon, secret_hash, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::int8[])`;

// Batches may arrive out of order (spool replay): lastSeen only moves forward and each metric keeps its newest value.
// $2 null: lastSeen unchanged; $4: a goodbye's time, or null for a return, applied only when $5 (a change has it).
const RECORD_SEEN = `UPDATE devices SET
  last_seen = CASE WHEN $2::int8 IS NULL THEN last_seen ELSE GREATEST(coalesce(last_seen, $2::int8), $2::int8) END,
  left_at = CASE WHEN $5::bool THEN $4::int8 ELSE left_at END,
  latest = (SELECT coalesce(jsonb_object_agg(k, CASE WHEN nv IS NULL THEN ov WHEN ov IS NULL THEN nv
                   WHEN (nv->>'t')::float8 >= (ov->>'t')::float8 THEN nv ELSE ov END), '{}'::jsonb)
            FROM jsonb_each(devices.latest) AS o(k, ov) FULL JOIN jsonb_each($3::jsonb) AS n(k, nv) USING (k))
  WHERE id = $1`;

/** The device registry on the `devices` table (PostgreSQL). */
export function createPgDeviceRegistry(pool: PgPool, now: () => number = Date.now): Async<DeviceRegistry> {
  async function insert(devices: readonly { device: NewDevice; secretHash: string }[]): Promise<void> {
    const cols: unknown[][] = Array.from({ length: 9 }, () => []);
    const at = now();
    for (const { device: d, secretHash } of devices) {
      const row = [d.id, d.domain, d.type, d.name ?? null, d.district ?? null, d.location?.lat ?? null, d.location?.lon ?? null, secretHash, at];
      row.forEach((v, i) => cols[i]!.push(v));
    }
    try {
      await pool.query(INSERT, cols);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const ids = devices.map((d) => d.device.id);
      throw conflict(ids.length === 1 ? `device ${ids[0]} already exists` : 'a device id is taken or given twice');
    }
  }

  async function get(id: string): Promise<Device | undefined> {
    const { rows } = await pool.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]);
    return rows[0] && toDevice(rows[0]);
  }
  const one = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rowCount! > 0;

  return {
    async create(device, secretHash) {
      await insert([{ device, secretHash }]);
      return (await get(device.id))!;
    },
    async createMany(devices) {
      if (devices.length > 0) await insert(devices);
    },
    get,
    async list(filter: DeviceFilter = {}) {
      const where: string[] = [];
      const params: (string | number | null)[] = [];
      for (const key of ['domain', 'type', 'district'] as const) {
        const value = filter[key];
        if (value !== undefined) { params.push(value); where.push(`${key} = $${params.length}`); }
      }
      if (filter.after !== undefined) { params.push(filter.after); where.push(`id > $${params.length}`); }
      // LIMIT NULL is no limit: every match, e.g. for a sweep over all devices.
      params.push(filter.limit === undefined ? null : Math.max(Math.trunc(filter.limit), 0));
      const sql = `SELECT ${COLUMNS} FROM devices ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id COLLATE "C" LIMIT $${params.length}`;
      return (await pool.query<DeviceRow>(sql, params)).rows.map(toDevice);
    },
    delete: (id) => one('DELETE FROM devices WHERE id = $1', [id]),
    async secretHash(id) {
      const { rows } = await pool.query<{ secret_hash: string }>('SELECT secret_hash FROM devices WHERE id = $1', [id]);
      return rows[0]?.secret_hash;
    },
    setSecretHash: (id, secretHash) => one('UPDATE devices SET secret_hash = $1 WHERE id = $2', [secretHash, id]),
    replaceSecretHash: (id, expected, secretHash) =>
      one('UPDATE devices SET secret_hash = $1 WHERE id = $2 AND secret_hash = $3', [secretHash, id, expected]),
    async secretSchemes() {
      const { rows } = await pool.query<{ scheme: string; n: number }>(
        "SELECT split_part(secret_hash, '$', 1) AS scheme, count(*)::int AS n FROM devices GROUP BY scheme",
      );
      return Object.fromEntries(rows.map((r) => [r.scheme, r.n]));
    },
    async recordSeen(updates: readonly DeviceSeen[]) {
      if (updates.length === 0) return;
      // Rows locked in id order, so two nodes recording overlapping batches cannot deadlock (the sort is stable:
      // a device's updates keep their order).
      const ordered = [...updates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      await inTransaction(pool, async (c) => {
        for (const u of ordered) {
          const latest = Object.fromEntries(Object.entries(u.latest).map(([m, { v, t }]) => [m, { v, t }]));
          await c.query(RECORD_SEEN, [u.id, u.lastSeen ?? null, JSON.stringify(latest), u.leftAt ?? null, u.leftAt !== undefined]);
        }
      });
    },
  };
}
