import { parseRfc3339, type RawValue } from '../../core/index.js';
import { isObject, refusal, type DecodeContext, type DecodedReading, type DecodeRefusal, type DecodeResult } from './types.js';

/** Form 1, `{"heart_rate": 72}`: every field is a metric; the reading takes the receive time. */
export function decodeFlat(obj: Record<string, unknown>, ctx: DecodeContext): DecodeResult {
  const values: RawValue[] = [];
  for (const name in obj) values.push({ name, value: obj[name] });
  return { ok: true, readings: [{ ts: ctx.receivedAt, deviceTs: false, values }] };
}

/** Form 2, `{"ts": …, "seq": …, "values": {…}}`; `ts` is epoch ms or RFC 3339, absent means the receive time. */
export function decodeTimestamped(obj: Record<string, unknown>, ctx: DecodeContext): DecodeResult {
  const r = timestampedReading(obj, ctx);
  return 'ok' in r ? r : { ok: true, readings: [r] };
}

/** An array of form 2 objects: one reading per object (objects at the same time are merged later). */
export function decodeTimestampedArray(arr: readonly unknown[], ctx: DecodeContext): DecodeResult {
  const readings: DecodedReading[] = [];
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    if (!isObject(item)) return refusal('malformed_payload', `element ${i} is not an object`);
    const r = timestampedReading(item, ctx);
    if ('ok' in r) return { ...r, detail: `element ${i}: ${r.detail}` };
    readings.push(r);
  }
  return { ok: true, readings };
}

function timestampedReading(obj: Record<string, unknown>, ctx: DecodeContext): DecodedReading | DecodeRefusal {
  for (const key in obj) {
    if (key !== 'ts' && key !== 'seq' && key !== 'values') return refusal('malformed_payload', `unexpected field ${JSON.stringify(key)} beside values`);
  }
  const { ts, seq, values } = obj;
  if (!isObject(values)) return refusal('malformed_payload', 'values must be an object of metric: value');
  let time = ctx.receivedAt;
  let deviceTs = false;
  if (ts !== undefined) {
    if (typeof ts === 'number') {
      if (!Number.isFinite(ts)) return refusal('bad_timestamp', 'ts must be a finite number of epoch milliseconds');
      time = Math.round(ts);
    } else if (typeof ts === 'string') {
      const parsed = parseRfc3339(ts);
      if (parsed === undefined) return refusal('bad_timestamp', `ts ${JSON.stringify(ts.slice(0, 40))} is not an RFC 3339 date-time`);
      time = parsed;
    } else {
      return refusal('bad_timestamp', 'ts must be epoch milliseconds or an RFC 3339 string');
    }
    deviceTs = true;
  }
  const out: RawValue[] = [];
  for (const name in values) out.push({ name, value: values[name] });
  if (seq === undefined) return { ts: time, deviceTs, values: out };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return refusal('malformed_payload', 'seq must be a non-negative integer');
  return { ts: time, deviceTs, seqs: [seq], values: out };
}
