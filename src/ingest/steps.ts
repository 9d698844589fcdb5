import type { Catalog, InboundMessage, Reading } from '../core/index.js';
import type { Admission } from './admission.js';
import { decodePayload } from './decode/dispatch.js';
import type { DecodedReading } from './decode/types.js';
import type { SeqMemory } from './dedupe.js';
import type { GroupCommit } from './group-commit.js';
import { MAX_RECEIVE_DRIFT_MS, type ReceiveTimes } from './receive-times.js';
import type { Refusals } from './refusals.js';
import { IngestUnavailableError, type Done } from './types.js';
import { validateMessage } from './validate.js';

/** One message on its way through the steps: what each step reads, and leaves for the next. */
export interface Passage {
  readonly msg: InboundMessage;
  readonly done: Done;
  /** The payload's readings as decoded (payload order); after `duplicates`, the fresh ones only. */
  decoded: readonly DecodedReading[];
  /** The validated readings: `readings[i]` is `decoded[i]`, through every step. */
  readings: Reading[];
}

/** What the steps work with: the ingest's parts, made once by createIngest. */
export interface StepDeps {
  catalog: Catalog;
  memory: SeqMemory;
  receiveTimes: ReceiveTimes;
  refusals: Refusals;
  admission: Admission;
  commit: GroupCommit;
}

/** A step hands the message on (true), or has answered it or handed it on to be answered (false: the pipeline ends). */
export type Step = (deps: StepDeps, p: Passage) => boolean;

/** The payload in one of its forms (JSON forms, SenML) to decoded readings; a payload that is none is dead-lettered. */
export const decode: Step = ({ refusals }, p) => {
  const decoded = decodePayload(p.msg.payload, p.msg);
  if (!decoded.ok) return refuse(refusals, p, decoded.reason, decoded.detail);
  p.decoded = decoded.readings;
  return true;
};

/** The message whole against the catalog (its type, each reading's metrics and time); any invalid part refuses it. */
export const validate: Step = ({ catalog, refusals }, p) => {
  const checked = validateMessage(catalog, p.msg, p.decoded);
  if (!checked.ok) return refuse(refusals, p, checked.reason, checked.detail);
  p.readings = checked.readings;
  return true;
};

/** A resend of what was taken is dropped; what it carries that is new is kept (a batch may overlap the last). */
export const duplicates: Step = ({ memory, refusals }, p) => {
  const { msg } = p;
  const repeated = repeatedSeqs(memory, msg.deviceId, p.decoded);
  if (repeated.length === 0) return true;
  const detail = repeated.length === 1 ? `seq ${repeated[0]} was already received` : `seqs ${repeated.join(', ')} were already received`;
  if (repeated.length === countSeqs(p.decoded)) return refuse(refusals, p, 'duplicate', detail);
  const keep = p.decoded.map((d) => !d.seqs?.some((seq) => repeated.includes(seq)));
  p.readings = p.readings.filter((_, i) => keep[i]);
  p.decoded = p.decoded.filter((_, i) => keep[i]);
  if (p.readings.length === 0) return refuse(refusals, p, 'duplicate', detail);
  refusals.deadLetter(msg, 'duplicate', `${detail}: those readings were dropped, the other ${p.readings.length} kept`);
  return true;
};

/** Readings without a device time get receive times of their own (ReceiveTimes.spread); past its bound the message is not taken. */
export const receiveTimes: Step = ({ receiveTimes: times, refusals }, p) => {
  if (times.spread(p.msg, p.decoded, p.readings)) return true;
  refusals.count('too_fast');
  p.done(new IngestUnavailableError('too_fast', `device ${p.msg.deviceId} sends readings without a device timestamp faster than they can be kept apart (1 ms each, at most ${MAX_RECEIVE_DRIFT_MS} ms ahead)`));
  return false;
};

/** Into this turn's batch while the spool has room (Admission), its seqs remembered at once (a resend in this turn is a duplicate). */
export const admission: Step = ({ admission: admit, memory, commit }, p) => {
  const { msg } = p;
  if (!admit.admit(msg, p.readings, p.done)) return false;
  const seqs = commit.current.seqs;
  for (const d of p.decoded) {
    if (!d.seqs) continue;
    const time = d.deviceTs ? d.ts : Number.NaN;
    for (const seq of d.seqs) {
      memory.remember(msg.deviceId, seq, time);
      seqs.push({ deviceId: msg.deviceId, seq, time });
    }
  }
  return true; // the group commit answers it, at the end of the turn
};

/** What a telemetry message goes through, in order; the group commit (GroupCommit) answers what `admission` takes. */
export const STEPS: readonly Step[] = [decode, validate, duplicates, receiveTimes, admission];

/** Runs a message through the steps. */
export function runSteps(deps: StepDeps, msg: InboundMessage, done: Done): void {
  const p: Passage = { msg, done, decoded: NO_DECODED, readings: NO_READINGS };
  for (let i = 0; i < STEPS.length; i++) if (!STEPS[i]!(deps, p)) return;
}

/** Dead-letters the message (answered, refused, with the turn's batch) and ends its pipeline. */
function refuse(refusals: Refusals, p: Passage, reason: Parameters<Refusals['deadLetter']>[1], detail: string): false {
  refusals.deadLetter(p.msg, reason, detail, p.done);
  return false;
}

/** The message's seqs that this device already sent (with the same device time). */
function repeatedSeqs(memory: SeqMemory, deviceId: string, decoded: readonly DecodedReading[]): readonly number[] {
  let out: number[] | undefined; // made only for a repeat: this runs for every message
  for (const d of decoded) {
    if (!d.seqs) continue;
    for (const seq of d.seqs) if (memory.seen(deviceId, seq, d.deviceTs ? d.ts : Number.NaN)) (out ??= []).push(seq);
  }
  return out ?? NONE;
}

/** How many seqs a message carries. */
function countSeqs(decoded: readonly DecodedReading[]): number {
  let n = 0;
  for (const d of decoded) n += d.seqs?.length ?? 0;
  return n;
}

const NONE: readonly number[] = [];
const NO_DECODED: readonly DecodedReading[] = [];
const NO_READINGS: Reading[] = [];
