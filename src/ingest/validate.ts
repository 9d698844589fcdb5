import { isDateMs, type Catalog, type InboundMessage, type Reading, type SensorType } from '../core/index.js';
import { decodePayload } from './decode/dispatch.js';
import { refusal, type DecodedReading, type DecodeRefusal } from './decode/types.js';

/** How far ahead of the receive time a device's clock may run. */
export const MAX_FUTURE_MS = 5 * 60_000;
/** How old a reading may be when it arrives. */
export const MAX_AGE_MS = 7 * 86_400_000;

/** Checks decoded readings against the catalog and the time window; any invalid part refuses the whole message. */
export function toReadings(
  catalog: Catalog,
  sensor: SensorType,
  msg: InboundMessage,
  decoded: readonly DecodedReading[],
): { ok: true; readings: Reading[] } | DecodeRefusal {
  const readings: Reading[] = [];
  for (const d of decoded) {
    if (d.ts > msg.receivedAt + MAX_FUTURE_MS) {
      return refusal('bad_timestamp', `${iso(d.ts)} is more than 5 minutes ahead of the receive time`);
    }
    if (d.ts < msg.receivedAt - MAX_AGE_MS) {
      return refusal('bad_timestamp', `${iso(d.ts)} is more than 7 days old`);
    }
    const checked = catalog.validate(sensor, d.values);
    if (!checked.ok) return refusal(checked.reason, checked.detail);
    const r: Reading = { deviceId: msg.deviceId, domain: msg.domain, type: msg.type, ts: d.ts, receivedAt: msg.receivedAt, values: checked.values };
    if (d.seqs) r.seq = d.seqs[0];
    readings.push(r);
  }
  return { ok: true, readings };
}

/** Checks a message's decoded readings whole against the catalog (its type, then each reading): its readings, in decoded order. */
export function validateMessage(
  catalog: Catalog,
  msg: InboundMessage,
  decoded: readonly DecodedReading[],
): { ok: true; readings: Reading[] } | DecodeRefusal {
  const sensor = catalog.get(msg.domain, msg.type);
  if (!sensor) return refusal('unknown_metric', `the catalog has no type ${msg.domain}/${msg.type}`);
  return toReadings(catalog, sensor, msg, decoded);
}

/** Decodes a message and checks it whole against the catalog: its readings (in decoded order) or why it is refused. */
export function checkMessage(
  catalog: Catalog,
  msg: InboundMessage,
): { ok: true; decoded: DecodedReading[]; readings: Reading[] } | DecodeRefusal {
  const decoded = decodePayload(msg.payload, msg);
  if (!decoded.ok) return decoded;
  const checked = validateMessage(catalog, msg, decoded.readings);
  return checked.ok ? { ok: true, decoded: decoded.readings, readings: checked.readings } : checked;
}

/** A time for a refusal's detail; times past what Date can show are given as numbers. */
function iso(ts: number): string {
  return isDateMs(ts) ? new Date(ts).toISOString() : `${ts} ms`;
}
