import type { RawValue } from '../../core/index.js';
import { isObject, refusal, type DecodeContext, type DecodedReading, type DecodeRefusal, type DecodeResult } from './types.js';

/** RFC 8428 labels; any other label ending in `_` must be understood, so a pack that has one is refused. */
const LABELS = new Set(['bn', 'bt', 'bu', 'bv', 'bs', 'bver', 'n', 'u', 'v', 'vs', 'vb', 'vd', 's', 't', 'ut']);
/** Labels by which an array is recognised as SenML. */
export const SENML_HINTS = ['bn', 'bt', 'bu', 'bv', 'n', 'v', 'vb', 'vs', 'vd', 's'] as const;
/** The SenML version this decoder implements (RFC 8428). */
const VERSION = 10;
/** Resolved times below 2**28 s are relative to "now" (RFC 8428 section 4.5.3). */
const RELATIVE_LIMIT_S = 2 ** 28;

/** True when `bn` names this device: `{deviceId}/` or `urn:dev:{anything}:{deviceId}:`. */
export function baseNameMatches(bn: string, deviceId: string): boolean {
  if (bn.length === deviceId.length + 1) return bn.endsWith('/') && bn.startsWith(deviceId);
  return bn.startsWith('urn:dev:') && bn.endsWith(`:${deviceId}:`) && bn.length > 'urn:dev:'.length + deviceId.length + 2;
}

/** A base name of either accepted shape, whichever device it names. */
const BN_SHAPE = /^(?:[A-Za-z0-9_.-]{1,64}\/|urn:dev:.+:[A-Za-z0-9_.-]{1,64}:)$/;

/**
 * A SenML JSON pack: base values resolved, `n` is the metric, `bn` must name the topic's device,
 * `bt` + `t` in seconds (absolute from 2**28 on, else relative to the receive time). Records at the
 * same resolved time become one reading.
 */
export function decodeSenml(pack: readonly unknown[], ctx: DecodeContext): DecodeResult {
  let bt = 0;
  let bu: string | undefined;
  let bv: number | undefined;
  const byTime = new Map<number, DecodedReading>();
  for (let i = 0; i < pack.length; i++) {
    const rec = pack[i];
    if (!isObject(rec)) return refusal('malformed_payload', `SenML record ${i} is not an object`);
    const at = `SenML record ${i}`;
    for (const label in rec) {
      if (!LABELS.has(label) && label.endsWith('_')) return refusal('malformed_payload', `${at} has must-understand label ${label}`);
    }
    if (rec.bver !== undefined && (typeof rec.bver !== 'number' || !Number.isInteger(rec.bver) || rec.bver > VERSION)) {
      return refusal('malformed_payload', `${at}: bver ${String(rec.bver)} is not supported (at most ${VERSION})`);
    }
    if (rec.bn !== undefined) {
      if (typeof rec.bn !== 'string') return refusal('malformed_payload', `${at}: bn must be a string`);
      if (!baseNameMatches(rec.bn, ctx.deviceId)) {
        return BN_SHAPE.test(rec.bn)
          ? refusal('wrong_device', `${at}: bn ${JSON.stringify(rec.bn)} names another device than ${ctx.deviceId}`)
          : refusal('malformed_payload', `${at}: bn must be "${ctx.deviceId}/" or "urn:dev:…:${ctx.deviceId}:"`);
      }
    }
    if (rec.bt !== undefined) {
      if (typeof rec.bt !== 'number' || !Number.isFinite(rec.bt)) return refusal('bad_timestamp', `${at}: bt must be a number of seconds`);
      bt = rec.bt;
    }
    if (rec.bu !== undefined) {
      if (typeof rec.bu !== 'string') return refusal('malformed_payload', `${at}: bu must be a string`);
      bu = rec.bu;
    }
    if (rec.bv !== undefined) {
      if (typeof rec.bv !== 'number' || !Number.isFinite(rec.bv)) return refusal('malformed_payload', `${at}: bv must be a number`);
      bv = rec.bv;
    }

    const { n, u, t } = rec;
    if (typeof n !== 'string' || n.length === 0) return refusal('malformed_payload', `${at}: n (the metric) must be a non-empty string`);
    if (u !== undefined && typeof u !== 'string') return refusal('malformed_payload', `${at}: u must be a string`);
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t))) return refusal('bad_timestamp', `${at}: t must be a number of seconds`);

    const value = recordValue(rec, bv, at);
    if ('ok' in value) return value;

    const seconds = bt + ((t as number | undefined) ?? 0);
    const relative = seconds < RELATIVE_LIMIT_S;
    const ts = Math.round(relative ? ctx.receivedAt + seconds * 1000 : seconds * 1000);
    const unit = (u as string | undefined) ?? bu;
    const raw: RawValue = unit === undefined ? { name: n, value: value.value } : { name: n, value: value.value, unit };
    const reading = byTime.get(ts);
    if (reading) reading.values.push(raw);
    else byTime.set(ts, { ts, deviceTs: !relative, values: [raw] });
  }
  if (byTime.size === 0) return refusal('malformed_payload', 'empty SenML pack');
  return { ok: true, readings: [...byTime.values()] };
}

/** The record's value with the base value added, or why it has none that can be used. */
function recordValue(rec: Record<string, unknown>, bv: number | undefined, at: string): { value: unknown } | DecodeRefusal {
  let found = 0;
  let value: unknown;
  if (rec.v !== undefined) {
    found++;
    if (typeof rec.v !== 'number') return refusal('wrong_type', `${at}: v must be a number`);
    value = bv === undefined ? rec.v : bv + rec.v;
  }
  if (rec.vb !== undefined) {
    found++;
    if (typeof rec.vb !== 'boolean') return refusal('wrong_type', `${at}: vb must be a boolean`);
    value = rec.vb;
  }
  // String and data values are passed on as they are: the catalog refuses them as the wrong type.
  if (rec.vs !== undefined) { found++; value = rec.vs; }
  if (rec.vd !== undefined) { found++; value = rec.vd; }
  if (found > 1) return refusal('malformed_payload', `${at}: a record has exactly one of v, vb, vs, vd`);
  if (found === 1) return { value };
  if (bv !== undefined) return { value: bv }; // no v: the base value alone is the value
  return refusal('malformed_payload', `${at}: ${rec.s !== undefined ? 'sum-only records are not supported' : 'no value (v, vb, vs or vd)'}`);
}
