import type { AlertStateStore, DeviceWatermark, PendingState } from '../alert-ports.js';
import type { Async } from '../async.js';
import type { PgPool } from './db.js';

interface PendingRow { rule_id: string; device_id: string; since: number; value: number; last_at: number; due_at: number }
interface MarkRow {
  device_id: string; domain: string; type: string; district: string | null;
  last_ts: number; registered: boolean;
}

// Many rows in one statement (arrays unnested); ON CONFLICT replaces a key's row, so the newest written wins.
const PUT_PENDING = `INSERT INTO alert_pending (rule_id, device_id, since, value, last_at, due_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::float8[], $5::int8[], $6::int8[])
  ON CONFLICT (rule_id, device_id) DO UPDATE SET since = excluded.since, value = excluded.value, last_at = excluded.last_at, due_at = excluded.due_at`;
const PUT_MARKS = `INSERT INTO alert_devices (device_id, domain, type, district, last_ts, registered)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::bool[])
  ON CONFLICT (device_id) DO UPDATE SET domain = excluded.domain, type = excluded.type, district = excluded.district,
    last_ts = excluded.last_ts, registered = excluded.registered`;

/** The newest of each key only: one INSERT … ON CONFLICT may not touch a row twice. */
function newestPerKey<T>(list: readonly T[], key: (x: T) => string): T[] {
  return [...new Map(list.map((x) => [key(x), x])).values()];
}

/** The alert engine's own state (pending `for` conditions, device watermarks, holds) on PostgreSQL. */
export function createPgAlertStateStore(pool: PgPool): Async<AlertStateStore> {
  async function putPendings(list: readonly PendingState[]): Promise<void> {
    const ps = newestPerKey(list, (p) => `${p.ruleId}\u0000${p.deviceId}`);
    if (ps.length === 0) return;
    await pool.query(PUT_PENDING, [ps.map((p) => p.ruleId), ps.map((p) => p.deviceId), ps.map((p) => p.since),
      ps.map((p) => p.value), ps.map((p) => p.lastAt), ps.map((p) => p.dueAt)]);
  }
  return {
    async pending() {
      const { rows } = await pool.query<PendingRow>('SELECT * FROM alert_pending');
      return rows.map((r) => ({ ruleId: r.rule_id, deviceId: r.device_id, since: r.since, value: r.value, lastAt: r.last_at, dueAt: r.due_at }));
    },
    putPending: (p) => putPendings([p]),
    putPendings,
    async deletePending(ruleId, deviceId) {
      await pool.query('DELETE FROM alert_pending WHERE rule_id = $1 AND device_id = $2', [ruleId, deviceId]);
    },
    async watermarks() {
      const { rows } = await pool.query<MarkRow>('SELECT * FROM alert_devices');
      return rows.map((r): DeviceWatermark => ({
        deviceId: r.device_id, domain: r.domain, type: r.type, district: r.district, lastTs: r.last_ts,
        registered: r.registered,
      }));
    },
    async putWatermarks(marks) {
      const ms = newestPerKey(marks, (m) => m.deviceId);
      if (ms.length === 0) return;
      await pool.query(PUT_MARKS, [ms.map((m) => m.deviceId), ms.map((m) => m.domain), ms.map((m) => m.type), ms.map((m) => m.district),
        ms.map((m) => m.lastTs), ms.map((m) => m.registered)]);
    },
    async deleteWatermark(deviceId) {
      await pool.query('DELETE FROM alert_devices WHERE device_id = $1', [deviceId]);
    },
    async holds() {
      const { rows } = await pool.query<{ rule_id: string; device_id: string }>('SELECT rule_id, device_id FROM alert_holds');
      return rows.map((r) => ({ ruleId: r.rule_id, deviceId: r.device_id }));
    },
    async putHold(ruleId, deviceId) {
      await pool.query('INSERT INTO alert_holds (rule_id, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [ruleId, deviceId]);
    },
    async deleteHold(ruleId, deviceId) {
      await pool.query('DELETE FROM alert_holds WHERE rule_id = $1 AND device_id = $2', [ruleId, deviceId]);
    },
  };
}
