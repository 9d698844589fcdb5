import { isUtf8 } from 'node:buffer';
import { decodeFlat, decodeTimestamped, decodeTimestampedArray } from './json.js';
import { decodeSenml, SENML_HINTS } from './senml.js';
import { isObject, refusal, type DecodeContext, type DecodedReading, type DecodeResult } from './types.js';

/** Largest telemetry payload accepted (docs/contract.md section 3). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Decodes a telemetry payload of any accepted form into readings, one per distinct time, in time order.
 * Values are not yet checked against the catalog.
 */
export function decodePayload(payload: Buffer, ctx: DecodeContext): DecodeResult {
  if (payload.length > MAX_PAYLOAD_BYTES) return refusal('too_large', `payload is ${payload.length} bytes, more than ${MAX_PAYLOAD_BYTES}`);
  if (!isUtf8(payload)) return refusal('malformed_json', 'payload is not UTF-8');
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return refusal('malformed_json', (err as Error).message);
  }
  const result = decodeDocument(doc, ctx);
  if (!result.ok || result.readings.length < 2) return result;
  return { ok: true, readings: mergeByTime(result.readings) };
}

function decodeDocument(doc: unknown, ctx: DecodeContext): DecodeResult {
  if (isObject(doc)) return 'values' in doc ? decodeTimestamped(doc, ctx) : decodeFlat(doc, ctx);
  if (!Array.isArray(doc)) return refusal('malformed_payload', 'payload must be a JSON object or array');
  const first: unknown = doc[0];
  if (!isObject(first)) return refusal('malformed_payload', doc.length === 0 ? 'empty array' : 'array elements must be objects');
  if ('values' in first) return decodeTimestampedArray(doc, ctx);
  if (SENML_HINTS.some((label) => label in first)) return decodeSenml(doc, ctx);
  return refusal('malformed_payload', 'an array must hold {ts, values} objects or SenML records');
}

/** Readings at the same time become one (their values and seqs joined), sorted by time. */
function mergeByTime(readings: DecodedReading[]): DecodedReading[] {
  const byTime = new Map<number, DecodedReading>();
  for (const r of readings) {
    const into = byTime.get(r.ts);
    if (!into) {
      byTime.set(r.ts, r);
      continue;
    }
    into.values.push(...r.values);
    if (r.seqs) into.seqs = into.seqs ? [...into.seqs, ...r.seqs] : r.seqs;
    into.deviceTs &&= r.deviceTs;
  }
  const out = byTime.size === readings.length ? readings : [...byTime.values()];
  return out.sort((a, b) => a.ts - b.ts);
}
