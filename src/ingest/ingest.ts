import { join } from 'node:path';
import type { InboundMessage, Logger, Reading } from '../core/index.js';
import { createSqliteSpoolStore } from '../storage/index.js';
import { Admission } from './admission.js';
import type { TurnSeq } from './batch.js';
import { SeqMemory } from './dedupe.js';
import { GroupCommit } from './group-commit.js';
import { createIngestMetrics } from './metrics.js';
import { MAX_RECEIVE_DRIFT_MS, ReceiveTimes } from './receive-times.js';
import { Refusals } from './refusals.js';
import { checkSinkNames, sinkLags, sinkStats, sinkWriters, storeSink } from './sinks.js';
import { Spool } from './spool.js';
import { runSteps, type StepDeps } from './steps.js';
import { IngestUnavailableError, type Ingest, type IngestDeps, type ReplayOutcome } from './types.js';
import { checkMessage } from './validate.js';
import type { SinkWriter } from './writer.js';

export { MAX_RECEIVE_DRIFT_MS } from './receive-times.js';

/** The newest seqs per device kept across a graceful restart: more than a device's unacknowledged window. */
const SEQS_SAVED_PER_DEVICE = 128;

/**
 * Builds the ingest: each message through the steps (steps.ts: decode, validate, duplicates, receive times,
 * admission), the turn's batch committed to the durable spool in one transaction (group-commit.ts), and a writer per
 * sink of the spool (the store first).
 */
export function createIngest(deps: IngestDeps): Ingest {
  const { catalog, log } = deps;
  const now = deps.now ?? Date.now;
  const memory = new SeqMemory(1024);
  const receiveTimes = new ReceiveTimes();
  const listeners: Array<(readings: readonly Reading[]) => void> = [];
  let accepted = 0;
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
  const theSpool = () => spool!;
  const commit = new GroupCommit({ deadLetters: deps.deadLetters, log, spool: theSpool, forget: forgetSeqs, committed });
  const refusals = new Refusals(metrics, log, deps.deadLetters, commit, () => state === 'closed');
  const admission = new Admission({
    log, spool: theSpool, spoolMaxBytes: deps.spoolMaxBytes, commit, refusals,
    sinkState: () => ({ storeUp: writer!.up, sinks: sinkLags(writers, sinkNames) }),
  });
  const steps: StepDeps = { catalog, memory, receiveTimes, refusals, admission, commit };

  /** A commit's readings are durable: counted, every sink woken, the listeners (the alert engine) told. */
  function committed(readings: readonly Reading[], messages: number): void {
    accepted += readings.length;
    metrics.readingsAccepted.inc(readings.length);
    metrics.messagesAccepted.inc(messages);
    metrics.spoolCommits.inc();
    for (const w of writers) w.wake();
    for (const listener of listeners) {
      try {
        listener(readings);
      } catch (err) {
        log.error({ err }, 'an onAccepted listener threw');
      }
    }
  }

  function forgetSeqs(seqs: readonly TurnSeq[]): void {
    for (const s of seqs) memory.forget(s.deviceId, s.seq, s.time);
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
      admission.admit(msg, checked.readings, (err) => (err ? reject(err) : resolve({ stored: checked.readings.length })));
    });
  }

  function oldestAgeMs(): number | null {
    if (!spool?.isOpen || spool.depth === 0) return null;
    const oldest = spool.oldestReceivedAt();
    return oldest === null ? null : Math.max(0, now() - oldest);
  }

  async function start(): Promise<void> {
    if (state !== 'new') throw new Error(`ingest cannot start: it is ${state}`);
    const s = await openSpool(join(deps.dataDir, 'spool.db'), sinkNames, log);
    for (const r of s.seqs()) memory.remember(r.deviceId, r.seq, r.time);
    spool = s;
    const store = storeSink(deps.store, metrics, { batchSize: deps.batchSize ?? 5000, concurrency: deps.writeConcurrency ?? 1, lingerMs: deps.writeLingerMs ?? 0 });
    writer = (writers = sinkWriters(s, [store, ...(deps.sinks ?? [])], log, metrics))[0];
    state = 'running';
    for (const w of writers) w.start();
    if (s.depth > 0) log.info({ spoolDepth: s.depth, spoolBytes: s.bytes, sinks: sinkLags(writers, sinkNames) }, 'resuming the spool a previous run left');
  }

  async function close(): Promise<void> {
    if (state === 'closed') return;
    const was = state;
    state = 'closed';
    // Commit (and acknowledge) what this turn gathered, and write its dead letters.
    commit.commitNow();
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
  }

  return {
    start,
    handle(msg, done) {
      if (state !== 'running') {
        done(new IngestUnavailableError('not_running', state === 'new' ? 'ingest has not started' : 'ingest is stopping'));
        return;
      }
      runSteps(steps, msg, done);
    },
    replay,
    refuse: (msg, reason, detail) => refusals.deadLetter(msg, reason, detail),
    onAccepted: (listener) => void listeners.push(listener),
    forget(deviceId) {
      memory.forgetDevice(deviceId);
      receiveTimes.forget(deviceId);
    },
    stats: () => ({
      accepted,
      refused: { ...refusals.counts },
      stored: writer?.written ?? 0,
      spoolDepth: spool?.depth ?? 0,
      spoolBytes: spool?.bytes ?? 0,
      oldestAgeMs: oldestAgeMs(),
      storeUp: writer?.up ?? false,
      sinks: sinkStats(writers, sinkNames),
    }),
    // Not ready while refusing for a full spool, though its bytes may be just under the bound (the next message did not fit).
    ready: () => state === 'running' && writer!.up && spool!.bytes < deps.spoolMaxBytes && !admission.full,
    async drain(deadline) {
      if (state !== 'running' && state !== 'draining') return;
      state = 'draining';
      commit.commitNow();
      await Promise.all(writers.map((w) => w.whenEmpty(deadline)));
      for (const w of writers) w.stop();
    },
    stop: close,
    close,
  };
}

/**
 * Opens the spool. Receive times given before a restart may lie up to MAX_RECEIVE_DRIFT_MS ahead of the clock, and
 * are not remembered: taking messages only once the clock is past them keeps new ones from landing on them.
 */
async function openSpool(file: string, sinkNames: readonly string[], log: Logger): Promise<Spool> {
  const s = new Spool(createSqliteSpoolStore({ file, sinks: sinkNames }), sinkNames);
  const horizon = s.previousRun === 'fresh' ? 0 : s.previousRun === 'stopped' ? s.stoppedAt! : Date.now() + MAX_RECEIVE_DRIFT_MS;
  if (horizon >= Date.now()) {
    log.info({ waitMs: horizon - Date.now() + 1 }, 'waiting out receive times the previous run may have given ahead of the clock');
    await new Promise((resolve) => setTimeout(resolve, horizon - Date.now() + 1));
  }
  return s;
}
