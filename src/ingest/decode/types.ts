import type { RawValue, RefusalReason } from '../../core/index.js';

/** One reading as a decoder found it: times resolved, values not yet checked against the catalog. */
export interface DecodedReading {
  /** Event time, epoch ms. */
  ts: number;
  /** True when the device gave an absolute time; false when ts is (derived from) the receive time. */
  deviceTs: boolean;
  /** Sequence numbers of the objects merged into this reading (form 2 only). */
  seqs?: number[];
  values: RawValue[];
}

/** What the receiving side knows about a message, which decoders need to resolve it. */
export interface DecodeContext {
  deviceId: string;
  /** Epoch ms: the time of form 1 readings and the "now" of SenML relative times. */
  receivedAt: number;
}

export interface DecodeRefusal {
  ok: false;
  reason: RefusalReason;
  detail: string;
}

export type DecodeResult = { ok: true; readings: DecodedReading[] } | DecodeRefusal;

/** A refusal result. */
export const refusal = (reason: RefusalReason, detail: string): DecodeRefusal => ({ ok: false, reason, detail });

/** True for a JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
