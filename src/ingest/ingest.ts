import { join } from 'node:path';
import { deadLetterPayload, REFUSAL_REASONS, type DeadLetter, type InboundMessage, type Reading, type RefusalReason, type RefusedMessage } from '../core/index.js';
import { createSqliteSpoolStore } from '../storage/index.js';
import { SeqMemory } from './dedupe.js';
import type { DecodedReading } from './decode/types.js';
import { createIngestMetrics } from './metrics.js';
import { rowBytes, Spool } from './spool.js';
import { IngestUnavailableError, type Done, type Ingest, type IngestDeps, type ReplayOutcome } from './types.js';
import { checkMessage } from './validate.js';
import { MAX_RECEIVE_DRIFT_MS, ReceiveTimes } from './receive-times.js';
import { checkSinkNames, sinkLags, sinkStats, sinkWriters, storeSink } from './sinks.js';
import type { SinkWriter } from './writer.js';

export { MAX_RECEIVE_DRIFT_MS } from './receive-times.js';

/** The newest seqs per device kept across a graceful restart: more than a device's unacknowledged window. */
const SEQS_SAVED_PER_DEVICE = 128;

/** Builds the ingest: decoders, validation, dead letters, the durable spool with group commit, and the store writer. */
export function createIngest(deps: IngestDeps): Ingest {
  const { catalog, deadLetters, log, spoolMaxBytes } = deps;
  const now = deps.now ?? Date.now;
  const batchSize = deps.batchSize ?? 5000;
  const memory = new SeqMemory(1024);
  const receiveTimes = new ReceiveTimes();
  const listeners: Array<(readings: readonly Reading[]) => void> = [];
  const refusedCounts: Record<string, number> = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0]));
  let accepted = 0;
  /** Publishes refused since the spool last filled (0: not full). */
  let refusedWhileFull = 0;
  let state: 'new' | 'running' | 'draining' | 'closed' = 'new';
  const sinkNames = checkSinkNames(['store', ...(deps.sinks ?? []).map((k) => k.name)]);
  let spool: Spool | undefined;
  let writers: SinkWriter[] = [];
  let writer: SinkWriter | undefined; // the store's: writers[0]

  const metrics = createIngestMetrics(deps.metrics, {
    spoolDepth: () => spool?.depth ?? 0,
    spoolBytes: () => spool?.bytes ?? 0,
    oldestAgeMs: () => oldestAgeMs(),
    storeUp: () => writer?.up ?? false,
    sinks: () => sinkStats(writers, sinkNames),
  });

  // What this event-loop turn gathered; flush() commits it in one transaction.
  let rows: Reading[] = [];
  let rowsDone: Array<(err?: Error) => void> = [];
  let rowsBytes = 0;
  let rowsMessages = 0;
  let rowsSeqs: Array<{ deviceId: string; seq: number; time: number }> = [];
  let letters: DeadLetter[] = [];
  let lettersDone: Array<Done> = [];
  let scheduled: NodeJS.Immediate | undefined;

  const schedule = () => {
    scheduled ??= setImmediate(flush);
  };

  function flush(): void {
    scheduled = undefined;
    const batch = rows, batchDone = rowsDone, batchMessages = rowsMessages, batchSeqs = rowsSeqs;
    const batchLetters = letters, batchLettersDone = lettersDone;
    rows = [];
    rowsDone = [];
    rowsBytes = 0;
    rowsMessages = 0;
    rowsSeqs = [];
    letters = [];
    lettersDone = [];

    if (batchLetters.length > 0) {
      try {
        deadLetters.add(batchLetters);
      } catch (err) {
        log.error({ err, letters: batchLetters.length }, 'cannot write dead letters');
      }
    }
    let readings: Reading[] | undefined;
    if (batch.length > 0) {
      try {
        spool!.append(batch);
        readings = batch;
      } catch (err) {
        // Nothing of this turn is kept: every sender gets an error (no acknowledgement) and may resend.
        log.error({ err, readings: batch.length }, 'spool commit failed');
        for (const s of batchSeqs) memory.forget(s.deviceId, s.seq, s.time);
        const failure = err instanceof Error ? err : new Error(String(err));
        for (const d of batchDone) answer(d, failure);
      }
    }
    for (const d of batchLettersDone) answer(d, undefined, true);
    if (!readings) return;
    accepted += readings.length;
    metrics.readingsAccepted.inc(readings.length);
    metrics.messagesAccepted.inc(batchMessages);
    metrics.spoolCommits.inc();
    for (const w of writers) w.wake();
    // Listeners (the alert engine) before the acknowledgements: an alert need not wait for thousands of PUBACKs
    // to be written. Both come after the commit, so an alert is never raised for a reading that could be lost.
    for (const listener of listeners) {
      try {
        listener(readings);
      } catch (err) {
        log.error({ err }, 'an onAccepted listener threw');
      }
    }
    for (const d of batchDone) answer(d);
  }

  /** Calls one sender's done(); a callback that throws must not keep the others from their answer. */
  function answer(done: Done, err?: Error, refused?: boolean): void {
    try {
      done(err, refused);
    } catch (e) {
      log.error({ err: e }, 'a done() callback threw');
    }
  }

  /** Counts a refusal by its reason (stats and the Prometheus counter). */
  function countRefusal(reason: RefusalReason): void {
    refusedCounts[reason] = (refusedCounts[reason] ?? 0) + 1;
    metrics.refused.inc({ reason });
  }

  /** Counts a refusal and queues its dead letter (written with the turn's batch). */
  function deadLetter(msg: RefusedMessage, reason: RefusalReason, detail: string, done?: Done): void {
    countRefusal(reason);
    log.debug({ deviceId: msg.deviceId, topic: msg.topic, reason, detail }, 'message refused');
    const letter: DeadLetter = { receivedAt: msg.receivedAt, deviceId: msg.deviceId, topic: msg.topic, reason, detail, payload: deadLetterPayload(msg.payload) };
    if (state === 'closed') {
      // Nothing flushes any more: write it now, as well as a closing store allows.
      try {
        deadLetters.add([letter]);
      } catch (err) {
        log.warn({ err }, 'cannot write a dead letter while closing');
      }
      done?.(undefined, true);
      return;
    }
    letters.push(letter);
    if (done) lettersDone.push(done);
    schedule();
  }

  function handle(msg: InboundMessage, done: Done): void {
    if (state !== 'running') {
      done(new IngestUnavailableError('not_running', state === 'new' ? 'ingest has not started' : 'ingest is stopping'));
      return;
    }
    const checked = checkMessage(catalog, msg);
    if (!checked.ok) return deadLetter(msg, checked.reason, checked.detail, done);
    // checkMessage keeps the decoded order: checked.readings[i] is checked.decoded[i].
    let readings = checked.readings;
    let fresh = checked.decoded;
    const repeated = repeatedSeqs(msg.deviceId, fresh);
    if (repeated.length > 0) {
      // A resend of what was stored is dropped; what it carries that is new is kept (a batch may overlap the last).
      const detail = repeated.length === 1 ? `seq ${repeated[0]} was already received` : `seqs ${repeated.join(', ')} were already received`;
      if (repeated.length === countSeqs(fresh)) return deadLetter(msg, 'duplicate', detail, done);
      const keep = fresh.map((d) => !d.seqs?.some((seq) => repeated.includes(seq)));
      readings = readings.filter((_, i) => keep[i]);
      fresh = fresh.filter((_, i) => keep[i]);
      if (readings.length === 0) return deadLetter(msg, 'duplicate', detail, done);
      deadLetter(msg, 'duplicate', `${detail}: those readings were dropped, the other ${readings.length} kept`);
    }
    if (!receiveTimes.spread(msg, fresh, readings)) {
      countRefusal('too_fast');
      done(new IngestUnavailableError('too_fast', `device ${msg.deviceId} sends readings without a device timestamp faster than they can be kept apart (1 ms each, at most ${MAX_RECEIVE_DRIFT_MS} ms ahead)`));
      return;
    }

    if (!admit(msg, readings, done)) return;
    for (const d of fresh) {
      if (!d.seqs) continue;
      const time = d.deviceTs ? d.ts : Number.NaN;
      for (const seq of d.seqs) {
        memory.remember(msg.deviceId, seq, time);
        rowsSeqs.push({ deviceId: msg.deviceId, seq, time });
      }
    }
  }

  /**
   * Adds a message's valid readings to this turn's commit (done() once durable); false, with done(err), when the
   * spool is full.
   */
  function admit(msg: InboundMessage, readings: readonly Reading[], done: (err?: Error) => void): boolean {
    let bytes = 0;
    // The payload's size, shared out, stands for each reading's values in the estimate: no serialising on the hot path.
    const share = Math.ceil(msg.payload.length / readings.length);
    for (const reading of readings) bytes += rowBytes(reading, share);
    if (spool!.bytes + rowsBytes + bytes > spoolMaxBytes) {
      countRefusal('spool_full');
      // Logged when it starts and when it ends, not per publish: a full spool refuses thousands a second.
      if (refusedWhileFull++ === 0) log.warn({ spoolBytes: spool!.bytes, spoolMaxBytes, storeUp: writer!.up, sinks: sinkLags(writers, sinkNames) }, 'spool full (SPOOL_MAX_MB): QoS 1/2 publishes are refused until the store catches up');
      done(new IngestUnavailableError('spool_full', `spool full (${spool!.bytes} of ${spoolMaxBytes} bytes)`));
      return false;
    }
    if (refusedWhileFull > 0) {
      log.info({ refused: refusedWhileFull, spoolBytes: spool!.bytes }, 'spool below its bound again: publishes are accepted');
      refusedWhileFull = 0;
    }
    for (const reading of readings) rows.push(reading);
    rowsBytes += bytes;
    rowsMessages++;
    rowsDone.push(done);
    schedule();
    return true;
  }

  /**
   * A dead letter's message, validated again (docs/contract.md 10): when it passes now, its readings are spooled, stored
   * and evaluated like any others, at their own timestamps (receive time included: a replay lands on the same
   * points, never beside them), without the duplicate check (it was refused, so never stored).
   */
  function replay(msg: InboundMessage): Promise<ReplayOutcome> {
    const checked = checkMessage(catalog, msg);
    if (!checked.ok) return Promise.resolve({ refused: checked.reason, detail: checked.detail });
    if (state !== 'running') return Promise.reject(new IngestUnavailableError('not_running', `ingest is ${state}`));
    return new Promise((resolve, reject) => {
      admit(msg, checked.readings, (err) => (err ? reject(err) : resolve({ stored: checked.readings.length })));
    });
  }

  /** The message's seqs that this device already sent (with the same device time). */
  function repeatedSeqs(deviceId: string, decoded: readonly DecodedReading[]): readonly number[] {
    let out: number[] | undefined; // made only for a repeat: this runs for every message
    for (const d of decoded) {
      if (!d.seqs) continue;
      for (const seq of d.seqs) if (memory.seen(deviceId, seq, d.deviceTs ? d.ts : Number.NaN)) (out ??= []).push(seq);
    }
    return out ?? NONE;
  }

  function oldestAgeMs(): number | null {
    if (!spool?.isOpen || spool.depth === 0) return null;
    const oldest = spool.oldestReceivedAt();
    return oldest === null ? null : Math.max(0, now() - oldest);
  }

  return {
    async start() {
      if (state !== 'new') throw new Error(`ingest cannot start: it is ${state}`);
      const s = new Spool(createSqliteSpoolStore({ file: join(deps.dataDir, 'spool.db'), sinks: sinkNames }), sinkNames);
      // Receive times given before a restart may lie up to MAX_RECEIVE_DRIFT_MS ahead of the clock, and are not
      // remembered: taking messages only once the clock is past them keeps new ones from landing on them.
      const horizon = s.previousRun === 'fresh' ? 0 : s.previousRun === 'stopped' ? s.stoppedAt! : Date.now() + MAX_RECEIVE_DRIFT_MS;
      if (horizon >= Date.now()) {
        log.info({ waitMs: horizon - Date.now() + 1 }, 'waiting out receive times the previous run may have given ahead of the clock');
        await new Promise((resolve) => setTimeout(resolve, horizon - Date.now() + 1));
      }
      for (const r of s.seqs()) memory.remember(r.deviceId, r.seq, r.time);
      spool = s;
      const store = storeSink(deps.store, metrics, { batchSize, concurrency: deps.writeConcurrency ?? 1, lingerMs: deps.writeLingerMs ?? 0 });
      writer = (writers = sinkWriters(s, [store, ...(deps.sinks ?? [])], log, metrics))[0];
      state = 'running';
      for (const w of writers) w.start();
      if (s.depth > 0) log.info({ spoolDepth: s.depth, spoolBytes: s.bytes, sinks: sinkLags(writers, sinkNames) }, 'resuming the spool a previous run left');
    },

    handle,
    replay,

    refuse(msg, reason, detail) {
      deadLetter(msg, reason, detail);
    },

    onAccepted(listener) {
      listeners.push(listener);
    },

    forget(deviceId) {
      memory.forgetDevice(deviceId);
      receiveTimes.forget(deviceId);
    },

    stats() {
      return {
        accepted,
        refused: { ...refusedCounts },
        stored: writer?.written ?? 0,
        spoolDepth: spool?.depth ?? 0,
        spoolBytes: spool?.bytes ?? 0,
        oldestAgeMs: oldestAgeMs(),
        storeUp: writer?.up ?? false,
        sinks: sinkStats(writers, sinkNames),
      };
    },

    ready() {
      // Not ready while refusing for a full spool, though its bytes may be just under the bound (the next message did not fit).
      return state === 'running' && writer!.up && spool!.bytes < spoolMaxBytes && refusedWhileFull === 0;
    },

    async drain(deadline) {
      if (state !== 'running' && state !== 'draining') return;
      state = 'draining';
      if (scheduled) {
        clearImmediate(scheduled);
        flush();
      }
      await Promise.all(writers.map((w) => w.whenEmpty(deadline)));
      for (const w of writers) w.stop();
    },

    stop() {
      return this.close();
    },

    async close() {
      if (state === 'closed') return;
      const was = state;
      state = 'closed';
      // Commit (and acknowledge) what this turn gathered, and write its dead letters.
      if (scheduled) {
        clearImmediate(scheduled);
        flush();
      }
      if (was === 'new') return;
      for (const w of writers) w.stop();
      // A resend after the restart (its PUBACK lost to the stop) is still known as one, though its reading has left the spool.
      try {
        spool!.saveSeqs(memory.newest(SEQS_SAVED_PER_DEVICE));
        spool!.markStopped(Math.max(now(), receiveTimes.max));
      } catch (err) {
        log.warn({ err }, 'cannot save the seq memory; resends after the restart may be stored twice');
      }
      spool!.close();
    },
  };
}

const NONE: readonly number[] = [];

/** How many seqs a message carries. */
function countSeqs(decoded: readonly DecodedReading[]): number {
  let n = 0;
  for (const d of decoded) n += d.seqs?.length ?? 0;
  return n;
}
