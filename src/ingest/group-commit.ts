import type { Logger, Reading } from '../core/index.js';
import type { DeadLetterStore } from '../storage/index.js';
import { TurnBatch, type TurnSeq } from './batch.js';
import type { Spool } from './spool.js';
import type { Done } from './types.js';

export interface GroupCommitDeps {
  deadLetters: DeadLetterStore;
  log: Logger;
  /** The spool (opened by the ingest's start(), before anything is taken). */
  spool: () => Spool;
  /** A failed commit's seqs are forgotten again: the senders get an error, and their resends are no duplicates. */
  forget: (seqs: readonly TurnSeq[]) => void;
  /**
   * The batch's readings are durable (in spool order): counted, the sinks woken, the listeners told. Called before
   * the senders are answered, so an alert need not wait for thousands of PUBACKs to be written.
   */
  committed: (readings: readonly Reading[], messages: number) => void;
}

/**
 * The last step of the pipeline: what a turn takes goes into one TurnBatch, committed in one spool transaction once
 * the turn ends (setImmediate), with the turn's dead letters in one write. Senders are answered only after it.
 */
export class GroupCommit {
  private batch = new TurnBatch();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly deps: GroupCommitDeps) {}

  /** The batch this turn adds to; schedule() once something was added. */
  get current(): TurnBatch {
    return this.batch;
  }

  schedule(): void {
    this.scheduled ??= setImmediate(this.commit);
  }

  /** Commits what this turn gathered now instead of at its end (drain, close). */
  commitNow(): void {
    if (!this.scheduled) return;
    clearImmediate(this.scheduled);
    this.commit();
  }

  private readonly commit = (): void => {
    this.scheduled = undefined;
    const batch = this.batch;
    this.batch = new TurnBatch();
    const { deadLetters, log } = this.deps;

    if (batch.letters.length > 0) {
      try {
        deadLetters.add(batch.letters);
      } catch (err) {
        log.error({ err, letters: batch.letters.length }, 'cannot write dead letters');
      }
    }
    let durable = false;
    if (batch.readings.length > 0) {
      try {
        this.deps.spool().append(batch.readings);
        durable = true;
      } catch (err) {
        // Nothing of this turn is kept: every sender gets an error (no acknowledgement) and may resend.
        log.error({ err, readings: batch.readings.length }, 'spool commit failed');
        this.deps.forget(batch.seqs);
        const failure = err instanceof Error ? err : new Error(String(err));
        for (const d of batch.done) this.answer(d, failure);
      }
    }
    for (const d of batch.lettersDone) this.answer(d, undefined, true);
    if (!durable) return;
    // Both come after the commit, so an alert is never raised for a reading that could be lost.
    this.deps.committed(batch.readings, batch.messages);
    for (const d of batch.done) this.answer(d);
  };

  /** Calls one sender's done(); a callback that throws must not keep the others from their answer. */
  private answer(done: Done, err?: Error, refused?: boolean): void {
    try {
      done(err, refused);
    } catch (e) {
      this.deps.log.error({ err: e }, 'a done() callback threw');
    }
  }
}
